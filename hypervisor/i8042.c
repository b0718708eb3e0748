// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The 8042 keyboard controller with no keyboard and no mouse attached.
 * It answers the controller commands Linux's probe sends (self test,
 * command byte, port tests), reports a timeout for anything sent to a
 * device (nobody is there), and turns the reset pulse into a reboot.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "hv_error.h"
#include "i8042.h"
#include "iobus.h"
#include "log.h"
#include "vm.h"

#define I8042_IRQ_KBD 1
#define I8042_IRQ_AUX 12

/* Status register */
#define STR_OBF 0x01
#define STR_SYS 0x04
#define STR_CMD 0x08 /* last write was to the command port */
#define STR_UNLOCKED 0x10
#define STR_AUXDATA 0x20
#define STR_TIMEOUT 0x40

/* Controller command byte (CTR) */
#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYS 0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE 0x40
#define CTR_POWER_ON (CTR_KBDINT | CTR_SYS | CTR_XLATE)

/* Controller commands */
#define CMD_READ_CTR 0x20
#define CMD_WRITE_CTR 0x60
#define CMD_AUX_DISABLE 0xa7
#define CMD_AUX_ENABLE 0xa8
#define CMD_AUX_TEST 0xa9
#define CMD_SELF_TEST 0xaa
#define CMD_KBD_TEST 0xab
#define CMD_KBD_DISABLE 0xad
#define CMD_KBD_ENABLE 0xae
#define CMD_READ_INPUT 0xc0
#define CMD_READ_OUTPUT 0xd0
#define CMD_WRITE_OUTPUT 0xd1
#define CMD_KBD_LOOP 0xd2
#define CMD_AUX_LOOP 0xd3
#define CMD_AUX_SEND 0xd4
#define CMD_PULSE 0xf0 /* 0xf0-0xff; bit 0 clear pulses reset */

#define SELF_TEST_OK 0x55
#define PORT_TEST_OK 0x00
#define PORT_TEST_CLOCK_LOW 0x01 /* what a port with nothing on it says */
#define NO_DEVICE 0xff

#define OUTPORT_RESET_HIGH 0x01 /* output port bit 0: reset, active low */
#define OUTPORT_A20 0x02

struct i8042_regs {
	uint8_t ctr;
	uint8_t status; /* STR_* except SYS and UNLOCKED, derived */
	uint8_t out; /* output buffer, valid with STR_OBF */
	uint8_t pending_cmd; /* command awaiting its data byte, or 0 */
	uint8_t outport;
};

struct i8042 {
	struct device dev;
	pthread_mutex_t lock;
	struct i8042_regs r;
	bool kbd_level, aux_level;
	uint64_t resets;
};

static struct i8042 *to_i8042(struct device *dev)
{
	return (struct i8042 *)dev;
}

static void i8042_update_irq(struct i8042 *s)
{
	bool full = s->r.status & STR_OBF;
	bool aux = s->r.status & STR_AUXDATA;
	bool kbd_level = full && !aux && (s->r.ctr & CTR_KBDINT);
	bool aux_level = full && aux && (s->r.ctr & CTR_AUXINT);

	if (kbd_level != s->kbd_level) {
		s->kbd_level = kbd_level;
		vm_irq_line(s->dev.vm, I8042_IRQ_KBD, kbd_level);
	}
	if (aux_level != s->aux_level) {
		s->aux_level = aux_level;
		vm_irq_line(s->dev.vm, I8042_IRQ_AUX, aux_level);
	}
}

/* Put a byte in the output buffer, from the controller or a port. */
static void i8042_respond(struct i8042 *s, uint8_t byte, uint8_t flags)
{
	s->r.out = byte;
	s->r.status = (s->r.status & STR_CMD) | STR_OBF | flags;
}

static void i8042_reset_pulse(struct i8042 *s, uint8_t cmd)
{
	s->resets++;
	log_info("%s: the guest reset the machine through the keyboard controller (0x%02x)",
		 s->dev.id, cmd);
	vm_request_exit(s->dev.vm, VM_EXIT_REBOOT);
}

static void i8042_command(struct i8042 *s, uint8_t cmd)
{
	struct i8042_regs *r = &s->r;

	r->pending_cmd = 0;
	if (cmd >= CMD_PULSE) {
		if (!(cmd & 0x01))
			i8042_reset_pulse(s, cmd);
		return;
	}
	if (cmd >= CMD_READ_CTR && cmd < CMD_READ_CTR + 0x20) {
		i8042_respond(s, cmd == CMD_READ_CTR ? r->ctr : 0, 0);
		return;
	}
	if (cmd >= CMD_WRITE_CTR && cmd < CMD_WRITE_CTR + 0x20) {
		r->pending_cmd = cmd;
		return;
	}
	switch (cmd) {
	case CMD_AUX_DISABLE:
		r->ctr |= CTR_AUXDIS;
		break;
	case CMD_AUX_ENABLE:
		r->ctr &= ~CTR_AUXDIS;
		break;
	case CMD_AUX_TEST:
		i8042_respond(s, PORT_TEST_CLOCK_LOW, 0);
		break;
	case CMD_SELF_TEST:
		i8042_respond(s, SELF_TEST_OK, 0);
		break;
	case CMD_KBD_TEST:
		i8042_respond(s, PORT_TEST_OK, 0);
		break;
	case CMD_KBD_DISABLE:
		r->ctr |= CTR_KBDDIS;
		break;
	case CMD_KBD_ENABLE:
		r->ctr &= ~CTR_KBDDIS;
		break;
	case CMD_READ_INPUT:
		i8042_respond(s, 0, 0);
		break;
	case CMD_READ_OUTPUT:
		i8042_respond(s, r->outport, 0);
		break;
	case CMD_WRITE_OUTPUT:
	case CMD_KBD_LOOP:
	case CMD_AUX_SEND:
		r->pending_cmd = cmd;
		break;
	default:
		/*
		 * Unknown commands, AUX_LOOP included, are ignored as on an
		 * AT-style controller without a mouse port: its data byte
		 * then goes to the (absent) keyboard and times out.
		 */
		break;
	}
}

static void i8042_data(struct i8042 *s, uint8_t v)
{
	struct i8042_regs *r = &s->r;
	uint8_t cmd = r->pending_cmd;

	r->pending_cmd = 0;
	switch (cmd) {
	case CMD_WRITE_CTR:
		r->ctr = v;
		break;
	case CMD_WRITE_OUTPUT:
		r->outport = v;
		if (!(v & OUTPORT_RESET_HIGH))
			i8042_reset_pulse(s, cmd);
		break;
	case CMD_KBD_LOOP:
		i8042_respond(s, v, 0);
		break;
	case CMD_AUX_SEND:
		i8042_respond(s, NO_DEVICE, STR_AUXDATA | STR_TIMEOUT);
		break;
	default:
		if (cmd >= CMD_WRITE_CTR && cmd < CMD_WRITE_CTR + 0x20)
			break; /* other controller RAM: not kept */
		/* A byte for the keyboard, which is not there. */
		i8042_respond(s, NO_DEVICE, STR_TIMEOUT);
		break;
	}
}

static uint8_t i8042_status(const struct i8042_regs *r)
{
	return r->status | STR_UNLOCKED | ((r->ctr & CTR_SYS) ? STR_SYS : 0);
}

/* Port 0x60: the output buffer; writes are data for a command or port. */
static void i8042_data_read(void *opaque, uint64_t off, void *data,
			    unsigned len)
{
	struct i8042 *s = opaque;

	pthread_mutex_lock(&s->lock);
	memset(data, 0xff, len);
	*(uint8_t *)data = s->r.out;
	s->r.status &= ~(STR_OBF | STR_AUXDATA | STR_TIMEOUT);
	i8042_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static void i8042_data_write(void *opaque, uint64_t off, const void *data,
			     unsigned len)
{
	struct i8042 *s = opaque;

	pthread_mutex_lock(&s->lock);
	s->r.status &= ~STR_CMD;
	i8042_data(s, *(const uint8_t *)data);
	i8042_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

/* Port 0x64: status on read, controller commands on write. */
static void i8042_cmd_read(void *opaque, uint64_t off, void *data,
			   unsigned len)
{
	struct i8042 *s = opaque;

	pthread_mutex_lock(&s->lock);
	memset(data, 0xff, len);
	*(uint8_t *)data = i8042_status(&s->r);
	pthread_mutex_unlock(&s->lock);
}

static void i8042_cmd_write(void *opaque, uint64_t off, const void *data,
			    unsigned len)
{
	struct i8042 *s = opaque;

	pthread_mutex_lock(&s->lock);
	s->r.status |= STR_CMD;
	i8042_command(s, *(const uint8_t *)data);
	i8042_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static const struct io_ops i8042_data_ops = {
	.read = i8042_data_read,
	.write = i8042_data_write,
};

static const struct io_ops i8042_cmd_ops = {
	.read = i8042_cmd_read,
	.write = i8042_cmd_write,
};

static void i8042_power_on(struct i8042_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->ctr = CTR_POWER_ON;
	r->outport = OUTPORT_RESET_HIGH | OUTPORT_A20;
}

static void i8042_reset(struct device *dev)
{
	struct i8042 *s = to_i8042(dev);

	pthread_mutex_lock(&s->lock);
	i8042_power_on(&s->r);
	i8042_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static int i8042_save(struct device *dev, struct json_object **out)
{
	struct i8042 *s = to_i8042(dev);
	struct json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	json_object_object_add(o, "ctr", json_object_new_int(s->r.ctr));
	json_object_object_add(o, "status", json_object_new_int(s->r.status));
	json_object_object_add(o, "out", json_object_new_int(s->r.out));
	json_object_object_add(o, "pending_cmd",
			       json_object_new_int(s->r.pending_cmd));
	json_object_object_add(o, "outport",
			       json_object_new_int(s->r.outport));
	pthread_mutex_unlock(&s->lock);
	*out = o;
	return 0;
}

static int i8042_get_byte(struct json_object *state, const char *key,
			  uint8_t *out)
{
	struct json_object *v;
	int x;

	if (!json_object_object_get_ex(state, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -EINVAL;
	x = json_object_get_int(v);
	if (x < 0 || x > 0xff)
		return -EINVAL;
	*out = (uint8_t)x;
	return 0;
}

static int i8042_restore(struct device *dev, struct json_object *state)
{
	struct i8042 *s = to_i8042(dev);
	struct i8042_regs r;

	if (!json_object_is_type(state, json_type_object) ||
	    i8042_get_byte(state, "ctr", &r.ctr) ||
	    i8042_get_byte(state, "status", &r.status) ||
	    i8042_get_byte(state, "out", &r.out) ||
	    i8042_get_byte(state, "pending_cmd", &r.pending_cmd) ||
	    i8042_get_byte(state, "outport", &r.outport))
		return -EINVAL;
	if (r.status & ~(STR_OBF | STR_CMD | STR_AUXDATA | STR_TIMEOUT))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	s->r = r;
	i8042_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void i8042_stats(struct device *dev, struct json_object *out)
{
	struct i8042 *s = to_i8042(dev);

	pthread_mutex_lock(&s->lock);
	json_object_object_add(out, "resets",
			       json_object_new_uint64(s->resets));
	pthread_mutex_unlock(&s->lock);
}

static void i8042_free(struct device *dev)
{
	struct i8042 *s = to_i8042(dev);

	pthread_mutex_destroy(&s->lock);
	free(s);
}

static const struct device_ops i8042_ops = {
	.type = "i8042",
	.version = 1,
	.reset = i8042_reset,
	.save = i8042_save,
	.restore = i8042_restore,
	.stats = i8042_stats,
	.free = i8042_free,
};

int i8042_new(struct vm *vm, struct device **out)
{
	struct i8042 *s;
	int rc;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dev.ops = &i8042_ops;
	s->dev.vm = vm;
	pthread_mutex_init(&s->lock, NULL);
	i8042_power_on(&s->r);
	rc = vm_add_device(vm, &s->dev, "i8042");
	if (rc) {
		i8042_free(&s->dev);
		return rc;
	}
	rc = iobus_register(&vm->pio, VM_PORT_I8042_DATA, 1, &i8042_data_ops,
			    s);
	if (!rc)
		rc = iobus_register(&vm->pio, VM_PORT_I8042_CMD, 1,
				    &i8042_cmd_ops, s);
	if (rc) {
		hv_error("i8042: ports 0x60/0x64: %s", strerror(-rc));
		return rc;
	}
	*out = &s->dev;
	return 0;
}
