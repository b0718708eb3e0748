/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_X86_AML_H
#define KEEL_HV_X86_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A small ACPI Machine Language (AML) writer (ACPI 6.3, chapter 20) for
 * the DSDT keel-hv hands its guests. AML is prefix byte code: the caller
 * emits an opcode and then its operands in order. Objects that carry a
 * PkgLength (scopes, devices, methods, If, packages, buffers, fields)
 * are opened with a *_begin() call and closed with aml_end(), which
 * encodes the length in front of the content once it is known.
 *
 * Errors are sticky: the first failure (bad name, out of memory, nesting
 * too deep, object too long) is kept in the writer and every later call
 * does nothing, so a whole table can be written without checking each
 * call; aml_error() reports the outcome once at the end.
 */

#define AML_MAX_DEPTH 16

/* Opcodes callers emit directly with aml_op() (ACPI 6.3, 20.3). */
enum aml_opcode {
	AML_OP_STORE = 0x70, /* Store(TermArg, SuperName) */
	AML_OP_AND = 0x7b, /* And(Operand, Operand, Target) */
	AML_OP_OR = 0x7d, /* Or(Operand, Operand, Target) */
	AML_OP_NOTIFY = 0x86, /* Notify(SuperName, TermArg) */
	AML_OP_LAND = 0x90, /* LAnd(Operand, Operand) */
	AML_OP_LNOT = 0x92, /* LNot(Operand) */
	AML_OP_LEQUAL = 0x93, /* LEqual(Operand, Operand) */
	AML_OP_RETURN = 0xa4, /* Return(ArgObject) */
};

/* OperationRegion address spaces (ACPI 6.3, 19.6.100). */
enum aml_region_space {
	AML_SPACE_SYSTEM_MEMORY = 0x00,
	AML_SPACE_SYSTEM_IO = 0x01,
};

/* Field flags: access type in bits 0-3, update rule in bits 5-6. */
#define AML_FIELD_ANY_ACC 0x00
#define AML_FIELD_BYTE_ACC 0x01
#define AML_FIELD_WORD_ACC 0x02
#define AML_FIELD_DWORD_ACC 0x03
#define AML_FIELD_PRESERVE 0x00
#define AML_FIELD_WRITE_AS_ZEROS 0x40

enum aml_frame_kind {
	AML_FRAME_PLAIN, /* PkgLength only */
	AML_FRAME_PACKAGE, /* PkgLength NumElements: counted at aml_end() */
	AML_FRAME_BUFFER, /* PkgLength BufferSize: computed at aml_end() */
	AML_FRAME_RESOURCES, /* a buffer that gets an EndTag first */
};

struct aml_frame {
	size_t start; /* offset of the first content byte */
	enum aml_frame_kind kind;
	unsigned elements; /* data objects emitted directly in a package */
};

struct aml {
	uint8_t *buf;
	size_t len;
	size_t cap;
	struct aml_frame open[AML_MAX_DEPTH];
	unsigned depth;
	int err; /* first error (-errno), 0 while all is well */
};

/* An empty writer. Release its buffer with aml_dispose(). */
void aml_init(struct aml *a);

/* Free the buffer; idempotent. */
void aml_dispose(struct aml *a);

/*
 * The outcome of everything written so far: 0, the first error, or
 * -EINVAL if an object opened with *_begin() is still open.
 */
int aml_error(const struct aml *a);

/*
 * Encode @value in the PkgLength format (1 to 4 bytes, ACPI 6.3, 20.2.4)
 * into @out. Returns the number of bytes, or -ERANGE above 2^28 - 1.
 * Field units use this form for their bit count.
 */
int aml_encode_length(uint32_t value, uint8_t out[4]);

/*
 * Encode the PkgLength of an object whose content after the PkgLength
 * is @content bytes long: the value counts its own bytes too. Returns
 * the number of bytes written to @out, or -ERANGE.
 */
int aml_encode_pkglen(size_t content, uint8_t out[4]);

/* Raw bytes, for what this writer has no call for. */
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_op(struct aml *a, enum aml_opcode op);

/*
 * A NameString: "\\" for the root, "^" per parent, then segments of one
 * to four characters ([A-Z_] then [A-Z0-9_]) separated by dots, padded
 * with '_' as ASL does ("\\_SB.GED" names \_SB_.GED_).
 */
void aml_name_string(struct aml *a, const char *path);

/* Integers in the shortest encoding: Zero, One, Byte/Word/DWord/QWord. */
void aml_integer(struct aml *a, uint64_t v);

/* A String object (ASCII, no NUL inside). */
void aml_string(struct aml *a, const char *s);

/*
 * The 32-bit compressed EISA ID of "PNP0A03"-style names, as a DWord
 * (ASL's EisaId()). A malformed @id fails the writer with -EINVAL.
 */
void aml_eisaid(struct aml *a, const char *id);

/* Local0-7, Arg0-6, and the empty Target of And(a, b). */
void aml_local(struct aml *a, unsigned n);
void aml_arg(struct aml *a, unsigned n);
void aml_null_target(struct aml *a);

/* Name(@name, <object>): the object is whatever the caller emits next. */
void aml_name(struct aml *a, const char *name);

/* Scope(@path) { ... }, Device(@name) { ... } */
void aml_scope_begin(struct aml *a, const char *path);
void aml_device_begin(struct aml *a, const char *name);

/* Method(@name, @nargs, Serialized or NotSerialized) { ... } */
void aml_method_begin(struct aml *a, const char *name, unsigned nargs,
		      bool serialized);

/* If (<predicate emitted next>) { ... } */
void aml_if_begin(struct aml *a);

/*
 * Package() { ... }: the element count is the number of data objects
 * (integers, strings, EISA IDs, names, packages, buffers) emitted
 * directly inside it; at most 255.
 */
void aml_package_begin(struct aml *a);

/* Buffer() { raw bytes }: the size is taken from what was emitted. */
void aml_buffer_begin(struct aml *a);

/* Close the innermost open object. */
void aml_end(struct aml *a);

/* OperationRegion(@name, @space, @offset, @len) */
void aml_operation_region(struct aml *a, const char *name,
			  enum aml_region_space space, uint64_t offset,
			  uint64_t len);

/* Field(@region, @flags) { aml_field_unit()... } closed with aml_end(). */
void aml_field_begin(struct aml *a, const char *region, uint8_t flags);
void aml_field_unit(struct aml *a, const char *name, uint32_t bits);

/*
 * ResourceTemplate() { ... }: a Buffer of resource descriptors (ACPI
 * 6.3, 6.4); aml_end() appends the EndTag.
 */
void aml_resources_begin(struct aml *a);

/* IO(Decode16, @min, @max, @align, @len) */
void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align,
		uint8_t len);

/* IRQNoFlags() { @irq }: ISA edge-triggered, active-high, exclusive. */
void aml_res_irq_noflags(struct aml *a, unsigned irq);

/* Interrupt(ResourceConsumer, edge or level, high or low, Exclusive) */
void aml_res_interrupt(struct aml *a, uint32_t gsi, bool edge,
		       bool active_low);

/*
 * Address-space descriptors a host bridge produces (ResourceProducer,
 * MinFixed, MaxFixed, PosDecode): WordBusNumber, WordIO (EntireRange),
 * DWordMemory (ReadWrite, NonCacheable).
 */
void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max);
void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max);

#endif /* KEEL_HV_X86_AML_H */
