// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A 16550A UART (National Semiconductor 8250 family): what Linux's 8250
 * driver and the test guests program. Registers, a 16-byte receive
 * FIFO, loopback (Linux probes with it), and the interrupt logic:
 * receiver line status > received data (or timeout) > THR empty >
 * modem status, reported through IIR and driven onto an ISA line.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"
#include "hv_error.h"
#include "iobus.h"
#include "log.h"
#include "ns8250.h"
#include "vm.h"

#define NS8250_NR_PORTS 8
#define NS8250_FIFO 16

/* Register offsets (DLAB selects the divisor latch at 0 and 1). */
enum {
	UART_RBR_THR = 0,
	UART_IER = 1,
	UART_IIR_FCR = 2,
	UART_LCR = 3,
	UART_MCR = 4,
	UART_LSR = 5,
	UART_MSR = 6,
	UART_SCR = 7,
};

#define IER_RDA 0x01
#define IER_THRE 0x02
#define IER_RLS 0x04
#define IER_MS 0x08
#define IER_MASK 0x0f

#define IIR_NONE 0x01
#define IIR_MS 0x00
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_RLS 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO_ON 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_KEEP 0xc9 /* enable, DMA mode, trigger level */

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_BI 0x10 /* the character at the FIFO's head is a break */
#define LSR_ERRORS 0x1e /* OE, PE, FE, BI */
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_DELTAS 0x0f
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

/* Everything the guest can observe; what save/restore carries. */
struct ns8250_regs {
	uint8_t ier, fcr, lcr, mcr, msr, scr, dll, dlm;
	uint8_t lsr_err; /* error bits latched until LSR is read */
	bool thr_ipending; /* THR-empty interrupt not yet acknowledged */
	uint8_t rx[NS8250_FIFO];
	unsigned rx_head, rx_count;
	/* Bit i: rx[i] is the NUL a break condition puts in the FIFO. */
	uint32_t rx_break;
};

struct ns8250 {
	struct device dev;
	pthread_mutex_t lock;
	struct ns8250_regs r;
	struct ns8250_backend be;
	uint16_t port;
	uint32_t irq;
	bool irq_level;
	bool rx_wanted; /* input was refused; call be.rx_ready on space */
	bool irq_err_logged;
	uint64_t tx_bytes, rx_bytes, rx_overruns, rx_breaks;
};

static struct ns8250 *to_uart(struct device *dev)
{
	return (struct ns8250 *)dev;
}

static unsigned uart_rx_capacity(const struct ns8250_regs *r)
{
	return (r->fcr & FCR_ENABLE) ? NS8250_FIFO : 1;
}

static unsigned uart_rx_trigger(const struct ns8250_regs *r)
{
	static const unsigned level[4] = { 1, 4, 8, 14 };

	return level[r->fcr >> 6];
}

static uint8_t uart_iir(const struct ns8250_regs *r)
{
	if ((r->ier & IER_RLS) && r->lsr_err)
		return IIR_RLS;
	if ((r->ier & IER_RDA) && r->rx_count) {
		/*
		 * Below the trigger level real hardware waits four character
		 * times before a timeout interrupt; we report it at once.
		 */
		if ((r->fcr & FCR_ENABLE) && r->rx_count < uart_rx_trigger(r))
			return IIR_TIMEOUT;
		return IIR_RDA;
	}
	if ((r->ier & IER_THRE) && r->thr_ipending)
		return IIR_THRE;
	if ((r->ier & IER_MS) && (r->msr & MSR_DELTAS))
		return IIR_MS;
	return IIR_NONE;
}

/* Drive the ISA line: gated by OUT2, which loopback disconnects. */
static void uart_update_irq(struct ns8250 *s)
{
	bool level = uart_iir(&s->r) != IIR_NONE &&
		     (s->r.mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
	int rc;

	if (level == s->irq_level)
		return;
	s->irq_level = level;
	rc = vm_irq_line(s->dev.vm, s->irq, level);
	if (rc && !s->irq_err_logged) {
		s->irq_err_logged = true;
		log_warn("%s: IRQ %u: %s", s->dev.id, s->irq, strerror(-rc));
	}
}

/* Modem status inputs: a null-modem cable, or MCR itself in loopback. */
static void uart_update_msr(struct ns8250_regs *r)
{
	uint8_t in, changed;

	if (r->mcr & MCR_LOOP)
		in = ((r->mcr & MCR_RTS) ? MSR_CTS : 0) |
		     ((r->mcr & MCR_DTR) ? MSR_DSR : 0) |
		     ((r->mcr & MCR_OUT1) ? MSR_RI : 0) |
		     ((r->mcr & MCR_OUT2) ? MSR_DCD : 0);
	else
		in = MSR_CTS | MSR_DSR | MSR_DCD;
	changed = in ^ (r->msr & ~MSR_DELTAS);
	r->msr = (r->msr & MSR_DELTAS) | in;
	if (changed & MSR_CTS)
		r->msr |= MSR_DCTS;
	if (changed & MSR_DSR)
		r->msr |= MSR_DDSR;
	if (changed & MSR_DCD)
		r->msr |= MSR_DDCD;
	if ((changed & MSR_RI) && !(in & MSR_RI))
		r->msr |= MSR_TERI;
}

static bool uart_rx_push(struct ns8250 *s, uint8_t byte)
{
	struct ns8250_regs *r = &s->r;
	unsigned slot = (r->rx_head + r->rx_count) % NS8250_FIFO;

	if (r->rx_count >= uart_rx_capacity(r)) {
		r->lsr_err |= LSR_OE;
		s->rx_overruns++;
		return false;
	}
	r->rx[slot] = byte;
	r->rx_break &= ~(1u << slot);
	r->rx_count++;
	return true;
}

static void uart_rx_clear(struct ns8250_regs *r)
{
	r->rx_head = 0;
	r->rx_count = 0;
	r->rx_break = 0;
}

/* True if input was refused before and there is room for it now. */
static bool uart_rx_space_for_waiter(struct ns8250 *s)
{
	if (!s->rx_wanted || (s->r.mcr & MCR_LOOP) ||
	    s->r.rx_count >= uart_rx_capacity(&s->r))
		return false;
	s->rx_wanted = false;
	return true;
}

static void uart_transmit(struct ns8250 *s, uint8_t byte)
{
	if (s->r.mcr & MCR_LOOP) {
		uart_rx_push(s, byte);
	} else {
		s->tx_bytes++;
		if (s->be.output)
			s->be.output(s->be.opaque, &byte, 1);
	}
	/* The byte left at once: THR is empty again. */
	s->r.thr_ipending = true;
}

static uint8_t uart_read_reg(struct ns8250 *s, unsigned reg)
{
	struct ns8250_regs *r = &s->r;
	uint8_t v = 0xff, iir;

	switch (reg) {
	case UART_RBR_THR:
		if (r->lcr & LCR_DLAB)
			return r->dll;
		v = 0;
		if (r->rx_count) {
			v = r->rx[r->rx_head];
			r->rx_break &= ~(1u << r->rx_head);
			r->rx_head = (r->rx_head + 1) % NS8250_FIFO;
			r->rx_count--;
		}
		return v;
	case UART_IER:
		return (r->lcr & LCR_DLAB) ? r->dlm : r->ier;
	case UART_IIR_FCR:
		iir = uart_iir(r);
		/* Reading IIR acknowledges a THR-empty interrupt. */
		if (iir == IIR_THRE)
			r->thr_ipending = false;
		return iir | ((r->fcr & FCR_ENABLE) ? IIR_FIFO_ON : 0);
	case UART_LCR:
		return r->lcr;
	case UART_MCR:
		return r->mcr;
	case UART_LSR:
		v = LSR_THRE | LSR_TEMT | r->lsr_err |
		    (r->rx_count ? LSR_DR : 0);
		/* As a 16550's FIFO: BI goes with the break's own NUL. */
		if (r->rx_count && (r->rx_break & (1u << r->rx_head)))
			v |= LSR_BI;
		r->lsr_err = 0;
		return v;
	case UART_MSR:
		v = r->msr;
		r->msr &= ~MSR_DELTAS;
		return v;
	case UART_SCR:
		return r->scr;
	}
	return v;
}

static void uart_write_reg(struct ns8250 *s, unsigned reg, uint8_t v)
{
	struct ns8250_regs *r = &s->r;

	switch (reg) {
	case UART_RBR_THR:
		if (r->lcr & LCR_DLAB)
			r->dll = v;
		else
			uart_transmit(s, v);
		break;
	case UART_IER:
		if (r->lcr & LCR_DLAB) {
			r->dlm = v;
			break;
		}
		/* Enabling THRE while THR is empty interrupts at once. */
		if ((v & IER_THRE) && !(r->ier & IER_THRE))
			r->thr_ipending = true;
		r->ier = v & IER_MASK;
		break;
	case UART_IIR_FCR:
		if ((v ^ r->fcr) & FCR_ENABLE)
			uart_rx_clear(r);
		if (v & FCR_CLEAR_RX)
			uart_rx_clear(r);
		r->fcr = v & FCR_KEEP;
		break;
	case UART_LCR:
		r->lcr = v;
		break;
	case UART_MCR:
		r->mcr = v & MCR_MASK;
		uart_update_msr(r);
		break;
	case UART_LSR:
	case UART_MSR:
		break; /* read-only (factory test writes ignored) */
	case UART_SCR:
		r->scr = v;
		break;
	}
}

static void uart_io_read(void *opaque, uint64_t off, void *data,
			 unsigned len)
{
	struct ns8250 *s = opaque;
	uint8_t *out = data;
	bool notify;

	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < len; i++)
		out[i] = off + i < NS8250_NR_PORTS ?
				 uart_read_reg(s, (unsigned)(off + i)) :
				 0xff;
	uart_update_irq(s);
	notify = uart_rx_space_for_waiter(s);
	pthread_mutex_unlock(&s->lock);
	if (notify && s->be.rx_ready)
		s->be.rx_ready(s->be.opaque);
}

static void uart_io_write(void *opaque, uint64_t off, const void *data,
			  unsigned len)
{
	struct ns8250 *s = opaque;
	const uint8_t *in = data;
	bool notify;

	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < len && off + i < NS8250_NR_PORTS; i++)
		uart_write_reg(s, (unsigned)(off + i), in[i]);
	uart_update_irq(s);
	notify = uart_rx_space_for_waiter(s);
	pthread_mutex_unlock(&s->lock);
	if (notify && s->be.rx_ready)
		s->be.rx_ready(s->be.opaque);
}

static const struct io_ops uart_io_ops = {
	.read = uart_io_read,
	.write = uart_io_write,
};

size_t ns8250_input(struct device *dev, const uint8_t *buf, size_t len)
{
	struct ns8250 *s = to_uart(dev);
	size_t n = 0;

	pthread_mutex_lock(&s->lock);
	/* In loopback the receiver is cut off from the line. */
	if (!(s->r.mcr & MCR_LOOP)) {
		while (n < len && s->r.rx_count < uart_rx_capacity(&s->r))
			uart_rx_push(s, buf[n++]);
	}
	s->rx_bytes += n;
	if (n < len)
		s->rx_wanted = true;
	uart_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}

int ns8250_input_break(struct device *dev, uint8_t key)
{
	struct ns8250 *s = to_uart(dev);
	struct ns8250_regs *r = &s->r;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (r->mcr & MCR_LOOP)
		rc = -EIO;
	else if (r->rx_count + 2 > uart_rx_capacity(r))
		rc = -EAGAIN;
	if (!rc) {
		unsigned slot = (r->rx_head + r->rx_count) % NS8250_FIFO;

		uart_rx_push(s, 0);
		r->rx_break |= 1u << slot;
		uart_rx_push(s, key);
		s->rx_bytes += 2;
		s->rx_breaks++;
		uart_update_irq(s);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void ns8250_set_backend(struct device *dev, const struct ns8250_backend *be)
{
	struct ns8250 *s = to_uart(dev);

	pthread_mutex_lock(&s->lock);
	if (be)
		s->be = *be;
	else
		memset(&s->be, 0, sizeof(s->be));
	pthread_mutex_unlock(&s->lock);
}

static void uart_power_on(struct ns8250_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->dll = 12; /* 9600 baud */
	uart_update_msr(r);
	r->msr &= ~MSR_DELTAS;
}

static void uart_reset(struct device *dev)
{
	struct ns8250 *s = to_uart(dev);

	pthread_mutex_lock(&s->lock);
	uart_power_on(&s->r);
	uart_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static const struct {
	const char *name;
	size_t off;
} uart_fields[] = {
	{ "ier", offsetof(struct ns8250_regs, ier) },
	{ "fcr", offsetof(struct ns8250_regs, fcr) },
	{ "lcr", offsetof(struct ns8250_regs, lcr) },
	{ "mcr", offsetof(struct ns8250_regs, mcr) },
	{ "msr", offsetof(struct ns8250_regs, msr) },
	{ "scr", offsetof(struct ns8250_regs, scr) },
	{ "dll", offsetof(struct ns8250_regs, dll) },
	{ "dlm", offsetof(struct ns8250_regs, dlm) },
	{ "lsr_err", offsetof(struct ns8250_regs, lsr_err) },
};

#define UART_NR_FIELDS (sizeof(uart_fields) / sizeof(uart_fields[0]))

static int uart_save(struct device *dev, struct json_object **out)
{
	struct ns8250 *s = to_uart(dev);
	struct json_object *o = json_object_new_object();
	char rx[NS8250_FIFO * 2 + 1] = "";
	uint32_t brk = 0;

	if (!o)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < UART_NR_FIELDS; i++)
		json_object_object_add(
			o, uart_fields[i].name,
			json_object_new_int(
				((uint8_t *)&s->r)[uart_fields[i].off]));
	json_object_object_add(o, "thr_ipending",
			       json_object_new_boolean(s->r.thr_ipending));
	for (unsigned i = 0; i < s->r.rx_count; i++) {
		unsigned slot = (s->r.rx_head + i) % NS8250_FIFO;

		snprintf(rx + 2 * i, 3, "%02x", s->r.rx[slot]);
		if (s->r.rx_break & (1u << slot))
			brk |= 1u << i;
	}
	pthread_mutex_unlock(&s->lock);
	json_object_object_add(o, "rx", json_object_new_string(rx));
	/* Bit i: "rx"'s i-th byte is a break. */
	json_object_object_add(o, "rx_break", json_object_new_int64(brk));
	*out = o;
	return 0;
}

static int uart_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int uart_restore(struct device *dev, struct json_object *state)
{
	struct ns8250 *s = to_uart(dev);
	struct ns8250_regs r = { 0 };
	struct json_object *v;
	const char *rx;
	size_t rx_len;

	if (!json_object_is_type(state, json_type_object))
		return -EINVAL;
	for (size_t i = 0; i < UART_NR_FIELDS; i++) {
		int x;

		if (!json_object_object_get_ex(state, uart_fields[i].name,
					       &v) ||
		    !json_object_is_type(v, json_type_int))
			return -EINVAL;
		x = json_object_get_int(v);
		if (x < 0 || x > 0xff)
			return -EINVAL;
		((uint8_t *)&r)[uart_fields[i].off] = (uint8_t)x;
	}
	if (!json_object_object_get_ex(state, "thr_ipending", &v) ||
	    !json_object_is_type(v, json_type_boolean))
		return -EINVAL;
	r.thr_ipending = json_object_get_boolean(v);
	if (!json_object_object_get_ex(state, "rx", &v) ||
	    !json_object_is_type(v, json_type_string))
		return -EINVAL;
	rx = json_object_get_string(v);
	rx_len = strlen(rx);
	if (rx_len % 2 || rx_len / 2 > uart_rx_capacity(&r) ||
	    r.ier & ~IER_MASK || r.mcr & ~MCR_MASK || r.fcr & ~FCR_KEEP ||
	    r.lsr_err & ~LSR_ERRORS)
		return -EINVAL;
	for (size_t i = 0; i < rx_len / 2; i++) {
		int hi = uart_hex(rx[2 * i]), lo = uart_hex(rx[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		r.rx[i] = (uint8_t)(hi << 4 | lo);
	}
	r.rx_count = (unsigned)(rx_len / 2);
	/* Absent in the state of a keel-hv that had no breaks: none. */
	if (json_object_object_get_ex(state, "rx_break", &v)) {
		int64_t brk = json_object_get_int64(v);

		if (!json_object_is_type(v, json_type_int) || brk < 0 ||
		    brk >= (1LL << r.rx_count))
			return -EINVAL;
		r.rx_break = (uint32_t)brk;
	}

	pthread_mutex_lock(&s->lock);
	s->r = r;
	uart_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void uart_stats(struct device *dev, struct json_object *out)
{
	struct ns8250 *s = to_uart(dev);

	pthread_mutex_lock(&s->lock);
	json_object_object_add(out, "tx_bytes",
			       json_object_new_uint64(s->tx_bytes));
	json_object_object_add(out, "rx_bytes",
			       json_object_new_uint64(s->rx_bytes));
	json_object_object_add(out, "rx_overruns",
			       json_object_new_uint64(s->rx_overruns));
	json_object_object_add(out, "rx_breaks",
			       json_object_new_uint64(s->rx_breaks));
	pthread_mutex_unlock(&s->lock);
}

static void uart_free(struct device *dev)
{
	struct ns8250 *s = to_uart(dev);

	pthread_mutex_destroy(&s->lock);
	free(s);
}

static const struct device_ops ns8250_ops = {
	.type = "ns8250",
	.version = 1,
	.reset = uart_reset,
	.save = uart_save,
	.restore = uart_restore,
	.stats = uart_stats,
	.free = uart_free,
};

int ns8250_new(struct vm *vm, const char *id, uint16_t port, uint32_t irq,
	       const struct ns8250_backend *be, struct device **out)
{
	struct ns8250 *s;
	int rc;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dev.ops = &ns8250_ops;
	s->dev.vm = vm;
	s->port = port;
	s->irq = irq;
	if (be)
		s->be = *be;
	pthread_mutex_init(&s->lock, NULL);
	uart_power_on(&s->r);
	rc = vm_add_device(vm, &s->dev, id);
	if (rc) {
		uart_free(&s->dev);
		return rc;
	}
	/* On the list first: from here on vm_free() owns it. */
	rc = iobus_register(&vm->pio, port, NS8250_NR_PORTS, &uart_io_ops, s);
	if (rc) {
		hv_error("%s: ports 0x%x-0x%x: %s", id, port,
			 port + NS8250_NR_PORTS - 1, strerror(-rc));
		return rc;
	}
	*out = &s->dev;
	return 0;
}
