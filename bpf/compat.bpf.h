/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one place that knows how the sched_ext kfuncs changed between kernel 6.12 and 7.x.
 *
 * vmlinux.h is generated from one kernel (bpf/vmlinux/KERNEL_VERSION) and declares that kernel's
 * kfuncs only, some with signatures older kernels lack. So it is included here with
 * BPF_NO_KFUNC_PROTOTYPES, and every kfunc the scheduler uses is declared below, each weak: a
 * kfunc the running kernel does not have resolves to NULL at load time instead of failing the
 * load. Where a kfunc was renamed or changed, every generation is declared under a
 * "name___suffix" alias (libbpf drops the last "___suffix" when it resolves the symbol) and a
 * static inline wrapper with today's name and signature picks the newest one present with
 * bpf_ksym_exists(). That test is resolved by the verifier, which prunes the other branches, so
 * a branch only has to be valid on the kernels that can take it.
 *
 * Include this (or common.bpf.h, which includes it) instead of vmlinux.h.
 */
#ifndef SCX_GAMER_COMPAT_BPF_H
#define SCX_GAMER_COMPAT_BPF_H

#ifdef __VMLINUX_H__
#error "include compat.bpf.h before vmlinux.h: it must suppress the generated kfunc prototypes"
#endif
#define BPF_NO_KFUNC_PROTOTYPES
#include "vmlinux.h"

#include <asm-generic/errno.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* ---- Kfuncs whose signature has not changed since 6.12 ---- */
s32 scx_bpf_create_dsq(u64 dsq_id, s32 node) __ksym __weak;
s32 scx_bpf_dsq_nr_queued(u64 dsq_id) __ksym __weak;
void scx_bpf_kick_cpu(s32 cpu, u64 flags) __ksym __weak;
s32 scx_bpf_select_cpu_dfl(struct task_struct *p, s32 prev_cpu, u64 wake_flags,
			   bool *is_idle) __ksym __weak;
s32 scx_bpf_task_cpu(const struct task_struct *p) __ksym __weak;
bool scx_bpf_test_and_clear_cpu_idle(s32 cpu) __ksym __weak;
s32 scx_bpf_pick_idle_cpu(const struct cpumask *cpus_allowed, u64 flags) __ksym __weak;
const struct cpumask *scx_bpf_get_idle_cpumask(void) __ksym __weak;
void scx_bpf_put_idle_cpumask(const struct cpumask *cpumask) __ksym __weak;
void scx_bpf_error_bstr(char *fmt, unsigned long long *data, u32 data__sz) __ksym __weak;
void scx_bpf_dump_bstr(char *fmt, unsigned long long *data, u32 data__sz) __ksym __weak;
void scx_bpf_cpuperf_set(s32 cpu, u32 perf) __ksym __weak;

/* Generic BPF kfuncs (cpumask kptrs since 6.3, numeric open-coded iterators since 6.4). */
struct bpf_cpumask *bpf_cpumask_create(void) __ksym __weak;
void bpf_cpumask_release(struct bpf_cpumask *cpumask) __ksym __weak;
void bpf_cpumask_set_cpu(u32 cpu, struct bpf_cpumask *cpumask) __ksym __weak;
bool bpf_cpumask_test_cpu(u32 cpu, const struct cpumask *cpumask) __ksym __weak;
bool bpf_cpumask_subset(const struct cpumask *src1, const struct cpumask *src2) __ksym __weak;
int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym __weak;
int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym __weak;
void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym __weak;

/* ---- Interrupt context ----
 * The preempt count's softirq, hardirq and NMI bits (include/linux/preempt.h: 8 bits of preempt
 * disable depth, then 8 of softirq, 4 of hardirq, 4 of NMI). x86 keeps the count in the per-CPU
 * __preempt_count since 6.15 (in pcpu_hot before, which this does not read). Where it cannot be
 * read, gamer_in_interrupt() says "no"; callers treat that as "the current task is the one
 * acting", which is what they assumed before this existed. On PREEMPT_RT kernels softirqs run in
 * task context and are not counted here.
 */
#define GAMER_PREEMPT_IRQ_BITS 0x00ffff00
extern const int __preempt_count __ksym __weak;

static inline bool gamer_in_interrupt(void)
{
	if (!bpf_ksym_exists(&__preempt_count))
		return false;
	return *(const int *)bpf_this_cpu_ptr(&__preempt_count) & GAMER_PREEMPT_IRQ_BITS;
}

/* ---- Inserting into a DSQ in FIFO order ----
 * 6.12  scx_bpf_dispatch()
 * 6.13  renamed scx_bpf_dsq_insert()
 * 6.19  scx_bpf_dsq_insert___v2() also tells whether the insertion was accepted
 */
bool scx_bpf_dsq_insert___v2___gamer(struct task_struct *p, u64 dsq_id, u64 slice,
				     u64 enq_flags) __ksym __weak;
void scx_bpf_dsq_insert___v1(struct task_struct *p, u64 dsq_id, u64 slice,
			     u64 enq_flags) __ksym __weak;
void scx_bpf_dispatch___v0(struct task_struct *p, u64 dsq_id, u64 slice,
			   u64 enq_flags) __ksym __weak;

static inline bool scx_bpf_dsq_insert(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags)
{
	if (bpf_ksym_exists(scx_bpf_dsq_insert___v2___gamer))
		return scx_bpf_dsq_insert___v2___gamer(p, dsq_id, slice, enq_flags);
	if (bpf_ksym_exists(scx_bpf_dsq_insert___v1))
		scx_bpf_dsq_insert___v1(p, dsq_id, slice, enq_flags);
	else
		scx_bpf_dispatch___v0(p, dsq_id, slice, enq_flags);
	return true;
}

/* ---- Inserting into a DSQ in virtual-time order ----
 * 6.12  scx_bpf_dispatch_vtime()
 * 6.13  renamed scx_bpf_dsq_insert_vtime()
 * 6.19  __scx_bpf_dsq_insert_vtime() takes its arguments packed in a struct (room for more
 *       than the five arguments a kfunc may have) and tells whether the insertion was accepted
 */
bool __scx_bpf_dsq_insert_vtime(struct task_struct *p,
				struct scx_bpf_dsq_insert_vtime_args *args) __ksym __weak;
void scx_bpf_dsq_insert_vtime___v1(struct task_struct *p, u64 dsq_id, u64 slice, u64 vtime,
				   u64 enq_flags) __ksym __weak;
void scx_bpf_dispatch_vtime___v0(struct task_struct *p, u64 dsq_id, u64 slice, u64 vtime,
				 u64 enq_flags) __ksym __weak;

static inline bool scx_bpf_dsq_insert_vtime(struct task_struct *p, u64 dsq_id, u64 slice, u64 vtime,
					    u64 enq_flags)
{
	if (bpf_ksym_exists(__scx_bpf_dsq_insert_vtime)) {
		struct scx_bpf_dsq_insert_vtime_args args = {
			.dsq_id = dsq_id,
			.slice = slice,
			.vtime = vtime,
			.enq_flags = enq_flags,
		};

		return __scx_bpf_dsq_insert_vtime(p, &args);
	}
	if (bpf_ksym_exists(scx_bpf_dsq_insert_vtime___v1))
		scx_bpf_dsq_insert_vtime___v1(p, dsq_id, slice, vtime, enq_flags);
	else
		scx_bpf_dispatch_vtime___v0(p, dsq_id, slice, vtime, enq_flags);
	return true;
}

/* ---- Moving the first runnable task of a DSQ to the local DSQ (ops.dispatch) ----
 * 6.12  scx_bpf_consume()
 * 6.13  renamed scx_bpf_dsq_move_to_local()
 * 7.1   scx_bpf_dsq_move_to_local___v2() takes enqueue flags as well; none are needed here
 */
bool scx_bpf_dsq_move_to_local___v2___gamer(u64 dsq_id, u64 enq_flags) __ksym __weak;
bool scx_bpf_dsq_move_to_local___v1(u64 dsq_id) __ksym __weak;
bool scx_bpf_consume___v0(u64 dsq_id) __ksym __weak;

static inline bool scx_bpf_dsq_move_to_local(u64 dsq_id)
{
	if (bpf_ksym_exists(scx_bpf_dsq_move_to_local___v2___gamer))
		return scx_bpf_dsq_move_to_local___v2___gamer(dsq_id, 0);
	if (bpf_ksym_exists(scx_bpf_dsq_move_to_local___v1))
		return scx_bpf_dsq_move_to_local___v1(dsq_id);
	return scx_bpf_consume___v0(dsq_id);
}

/* ---- Walking a DSQ, and moving a task found on the way ----
 * 6.12  bpf_iter_scx_dsq_*() (unchanged since); scx_bpf_dispatch_from_dsq()
 * 6.13  renamed scx_bpf_dsq_move()
 */
int bpf_iter_scx_dsq_new(struct bpf_iter_scx_dsq *it, u64 dsq_id, u64 flags) __ksym __weak;
struct task_struct *bpf_iter_scx_dsq_next(struct bpf_iter_scx_dsq *it) __ksym __weak;
void bpf_iter_scx_dsq_destroy(struct bpf_iter_scx_dsq *it) __ksym __weak;
bool scx_bpf_dsq_move___v1(struct bpf_iter_scx_dsq *it__iter, struct task_struct *p, u64 dsq_id,
			   u64 enq_flags) __ksym __weak;
bool scx_bpf_dispatch_from_dsq___v0(struct bpf_iter_scx_dsq *it__iter, struct task_struct *p,
				    u64 dsq_id, u64 enq_flags) __ksym __weak;

/* The iterator of the bpf_for_each() loop this is used in (libbpf names it ___it). */
#define BPF_FOR_EACH_ITER (&___it)

static __always_inline bool scx_bpf_dsq_move(struct bpf_iter_scx_dsq *it, struct task_struct *p,
					     u64 dsq_id, u64 enq_flags)
{
	if (bpf_ksym_exists(scx_bpf_dsq_move___v1))
		return scx_bpf_dsq_move___v1(it, p, dsq_id, enq_flags);
	return scx_bpf_dispatch_from_dsq___v0(it, p, dsq_id, enq_flags);
}

/* ---- Default idle-CPU selection restricted to a cpumask ----
 * 6.12  only scx_bpf_select_cpu_dfl() (all of the task's CPUs)
 * 6.16  scx_bpf_select_cpu_and()
 * 6.19  __scx_bpf_select_cpu_and() with packed arguments; the flat form is deprecated
 *
 * Returns an idle CPU in cpus_allowed & p->cpus_ptr, claimed for the caller, or a negative
 * errno. Before 6.16 the topology-aware search is not available: any idle CPU of the mask is
 * taken, and one the task may not use is released again (kicked so it re-enters idle).
 */
s32 __scx_bpf_select_cpu_and(struct task_struct *p, const struct cpumask *cpus_allowed,
			     struct scx_bpf_select_cpu_and_args *args) __ksym __weak;
s32 scx_bpf_select_cpu_and___v1(struct task_struct *p, s32 prev_cpu, u64 wake_flags,
				const struct cpumask *cpus_allowed, u64 flags) __ksym __weak;

static inline s32 scx_bpf_select_cpu_and(struct task_struct *p, s32 prev_cpu, u64 wake_flags,
					 const struct cpumask *cpus_allowed, u64 flags)
{
	s32 cpu;

	if (bpf_ksym_exists(__scx_bpf_select_cpu_and)) {
		struct scx_bpf_select_cpu_and_args args = {
			.prev_cpu = prev_cpu,
			.wake_flags = wake_flags,
			.flags = flags,
		};

		return __scx_bpf_select_cpu_and(p, cpus_allowed, &args);
	}
	if (bpf_ksym_exists(scx_bpf_select_cpu_and___v1))
		return scx_bpf_select_cpu_and___v1(p, prev_cpu, wake_flags, cpus_allowed, flags);

	cpu = scx_bpf_pick_idle_cpu(cpus_allowed, flags);
	if (cpu >= 0 && !bpf_cpumask_test_cpu(cpu, p->cpus_ptr)) {
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
		return -EBUSY;
	}
	return cpu;
}

/* ---- Handing the tasks of this CPU's local DSQ back to ops.enqueue() (SCX_ENQ_REENQ) ----
 * 6.12  scx_bpf_reenqueue_local(), returns how many; only from ops.cpu_release()
 * 6.19  scx_bpf_reenqueue_local___v2(): from any context, done when the CPU next schedules;
 *       the first form is to go in 6.23
 */
u32 scx_bpf_reenqueue_local___v1(void) __ksym __weak;
void scx_bpf_reenqueue_local___v2___gamer(void) __ksym __weak;

static inline void scx_bpf_reenqueue_local(void)
{
	if (bpf_ksym_exists(scx_bpf_reenqueue_local___v2___gamer))
		scx_bpf_reenqueue_local___v2___gamer();
	else
		scx_bpf_reenqueue_local___v1();
}

/* ---- Refilling a task's time slice ----
 * until 6.18  BPF writes p->scx.slice directly
 * 6.19        scx_bpf_task_set_slice(); direct writes are on their way out
 */
bool scx_bpf_task_set_slice___v1(struct task_struct *p, u64 slice) __ksym __weak;

static inline void scx_bpf_task_set_slice(struct task_struct *p, u64 slice)
{
	if (bpf_ksym_exists(scx_bpf_task_set_slice___v1))
		scx_bpf_task_set_slice___v1(p, slice);
	else
		p->scx.slice = slice;
}

/* ---- The scheduler's clock ----
 * 6.14  scx_bpf_now(): the rq clock when it is valid (cheaper, and monotonic per CPU);
 *       before that, bpf_ktime_get_ns(). Both count CLOCK_MONOTONIC nanoseconds.
 */
u64 scx_bpf_now___v1(void) __ksym __weak;

static inline u64 scx_bpf_now(void)
{
	if (bpf_ksym_exists(scx_bpf_now___v1))
		return scx_bpf_now___v1();
	return bpf_ktime_get_ns();
}

/*
 * The value of an enumerator as the running kernel defines it, or 0 where that kernel lacks it.
 * For the flag enums sched_ext renumbered or grew over time (enqueue and task-state flags);
 * ABI-stable values (DSQ ids, SCX_KICK_*, SCX_PICK_*, SCX_WAKE_*) are used as compiled.
 */
#define GAMER_ENUM(type, name)                                                                     \
	(bpf_core_enum_value_exists(type, name) ? bpf_core_enum_value(type, name) : 0)

#endif /* SCX_GAMER_COMPAT_BPF_H */
