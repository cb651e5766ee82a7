/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small helpers for scx_gamer's sched_ext code: how callbacks and the ops table are declared,
 * formatted error/dump output, and a few arithmetic and memory-access idioms.
 */
#ifndef SCX_GAMER_COMMON_BPF_H
#define SCX_GAMER_COMMON_BPF_H

#include "compat.bpf.h"
#include "intf.h"

/*
 * A sched_ext callback. BPF_PROG unpacks the raw context into typed arguments; the section
 * tells libbpf which struct_ops member the program implements.
 */
#define GAMER_OP(name, args...) SEC("struct_ops/" #name) BPF_PROG(name, ##args)

/* A callback the kernel calls where it may sleep (ops.init, ops.init_task): it may allocate. */
#define GAMER_OP_SLEEPABLE(name, args...) SEC("struct_ops.s/" #name) BPF_PROG(name, ##args)

/*
 * The ops table. In ".struct_ops.link" attaching it yields a BPF link, so the scheduler stays
 * attached exactly as long as user space holds the link (or the process that holds it lives).
 */
#define GAMER_OPS_DEFINE(name, ...)                                                                \
	SEC(".struct_ops.link") struct sched_ext_ops name = {__VA_ARGS__}

/*
 * Global data only BPF code touches (kptrs, scratch state): a section of its own whose variables
 * are all hidden is not memory-mapped by libbpf, which kptr fields require.
 */
#define GAMER_PRIVATE(name) SEC(".data." #name) __hidden __attribute__((aligned(8)))

/*
 * The sched_ext output kfuncs take a format string plus its arguments as an array of u64
 * ("bstr"): build both on the stack, like bpf_printk() does for its helper. (clang-format would
 * fold the _Pragma lines into each other.)
 */
/* clang-format off */
#define __gamer_bstr_call(call, fmt, args...)						\
({											\
	static char ___fmt[] = fmt;							\
	unsigned long long ___param[___bpf_narg(args)];					\
											\
	_Pragma("GCC diagnostic push")							\
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")				\
	___bpf_fill(___param, args);							\
	_Pragma("GCC diagnostic pop")							\
	call;										\
})
/* clang-format on */

/* Abort the scheduler: the kernel falls back to its default class and reports fmt as msg. */
#define scx_bpf_error(fmt, args...)                                                                \
	__gamer_bstr_call(scx_bpf_error_bstr(___fmt, ___param, sizeof(___param)), fmt, ##args)

/* One line of the debug dump the kernel writes when the scheduler errors out (ops.dump). */
#define scx_bpf_dump(fmt, args...)                                                                 \
	__gamer_bstr_call(scx_bpf_dump_bstr(___fmt, ___param, sizeof(___param)), fmt, ##args)

/* Scheduling policies (uapi/linux/sched.h); vmlinux.h has no macros. */
#define SCHED_FIFO 1
#define SCHED_RR 2

/* Values user space rewrites while the scheduler runs: read them once, where they are used. */
#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile typeof(x) *)&(x) = (v))

/* a < b on clocks that may wrap (vtime is compared by difference, never by value). */
static __always_inline bool time_before(u64 a, u64 b)
{
	return (s64)(a - b) < 0;
}

static __always_inline u64 min_u64(u64 a, u64 b)
{
	return a < b ? a : b;
}

static __always_inline u64 max_u64(u64 a, u64 b)
{
	return a > b ? a : b;
}

/* v scaled by the inverse of p's weight (100 = nice 0), as CPU time is charged to vtime. */
static __always_inline u64 scale_by_weight_inverse(const struct task_struct *p, u64 v)
{
	return v * 100 / p->scx.weight;
}

#endif /* SCX_GAMER_COMMON_BPF_H */
