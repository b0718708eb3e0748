/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_VIRT_ERROR_H
#define KEEL_VIRT_ERROR_H

/*
 * libvirt's error numbers and domains that keel-virtd sends
 * (virErrorNumber, virErrorDomain: the values of libvirt 9.0.0's
 * public headers), and the one table from keel's error codes to them
 * (docs/libvirt.md, "The model").
 */

#define VIR_ERR_INTERNAL_ERROR 1
#define VIR_ERR_NO_MEMORY 2
#define VIR_ERR_NO_SUPPORT 3
#define VIR_ERR_NO_CONNECT 5
#define VIR_ERR_INVALID_ARG 8
#define VIR_ERR_OPERATION_FAILED 9
#define VIR_ERR_DOM_EXIST 28
#define VIR_ERR_OPERATION_DENIED 29
#define VIR_ERR_SYSTEM_ERROR 38
#define VIR_ERR_RPC 39
#define VIR_ERR_NO_DOMAIN 42
#define VIR_ERR_OPERATION_INVALID 55
#define VIR_ERR_OPERATION_TIMEOUT 68
#define VIR_ERR_ARGUMENT_UNSUPPORTED 74
#define VIR_ERR_OPERATION_ABORTED 78
#define VIR_ERR_OPERATION_UNSUPPORTED 84
#define VIR_ERR_RESOURCE_BUSY 87

#define VIR_FROM_NONE 0
#define VIR_FROM_DOM 6
#define VIR_FROM_RPC 7

/* virErrorLevel: every error keel-virtd sends is an error. */
#define VIR_ERR_LEVEL_ERROR 2

/*
 * libvirt's error number for keel's error @keel_code (enum
 * keel_error_code or a JSON-RPC code); VIR_ERR_INTERNAL_ERROR for one
 * the table does not know.
 */
int virt_error_from_keel(int keel_code);

#endif /* KEEL_VIRT_ERROR_H */
