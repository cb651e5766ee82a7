/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_gamer's game detector: tells the daemon about every exec, about processes renaming
 * themselves, and about the end of the processes it watches. The daemon decides what is a
 * game; the kernel side only drops what is cheap to rule out here (kernel threads, the daemon
 * itself) and sets a few hints (enum gamer_event_flags).
 *
 * It is a separate object from the scheduler so that detection goes on while the scheduler is
 * detached, or after the kernel ejected it.
 *
 * Exec has two hooks, of which the daemon loads one: the BPF-LSM hook when "bpf" is among the
 * active LSMs (it runs once the new credentials are in place, with the new comm), otherwise the
 * sched_process_exec tracepoint, which every kernel with BTF has.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "intf.h"

char _license[] SEC("license") = "GPL";

#define PF_KTHREAD 0x00200000 /* include/linux/sched.h */

/* The daemon's own tgid: its own execs and renames never need classifying. */
const volatile u32 self_tgid;

/* Records lost because `events` was full (the daemon fell behind); read by the daemon. */
u64 nr_dropped;

/* Everything reported, as struct gamer_event. 256 KiB hold about 800 records. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/*
 * Thread groups (tgid -> 1) whose end the daemon wants to hear about: the games it found.
 * Every other exit costs one hash lookup. An entry is removed when its exit is reported.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GAMER_MAX_GAMES);
	__type(key, u32);
	__type(value, u32);
} watched_tgids SEC(".maps");

static __always_inline bool ignored(const struct task_struct *task)
{
	return (BPF_CORE_READ(task, flags) & PF_KTHREAD) || BPF_CORE_READ(task, tgid) == self_tgid;
}

/*
 * A record for task with everything but the kind-specific fields filled in, or NULL when the
 * ring buffer is full. *comm_len, when asked for, is the length of the comm copied, NUL
 * included.
 */
static struct gamer_event *event_start(u32 kind, const struct task_struct *task, long *comm_len)
{
	struct gamer_event *e;
	long len;
	u32 tgid;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&nr_dropped, 1);
		return NULL;
	}
	tgid = BPF_CORE_READ(task, tgid);
	e->kind = kind;
	e->flags = bpf_map_lookup_elem(&watched_tgids, &tgid) ? GAMER_EVF_WATCHED : 0;
	e->pid = BPF_CORE_READ(task, pid);
	e->tgid = tgid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->exit_code = 0;
	e->ts_ns = bpf_ktime_get_ns();
	len = BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
	if (comm_len)
		*comm_len = len;
	e->filename[0] = '\0';
	return e;
}

/*
 * Whether the string just read into buf ends in ".exe", in any case. len is what
 * bpf_probe_read_kernel_str() returned: the length including the terminating NUL.
 */
static __always_inline bool ends_in_exe(const char *buf, long len, u32 size)
{
	u32 dot;

	if (len < 5 || len > size)
		return false;
	dot = len - 5;
	return buf[dot] == '.' && (buf[dot + 1] | 0x20) == 'e' && (buf[dot + 2] | 0x20) == 'x' &&
	       (buf[dot + 3] | 0x20) == 'e';
}

static __always_inline bool starts_with_wine(const char *comm)
{
	return comm[0] == 'w' && comm[1] == 'i' && comm[2] == 'n' && comm[3] == 'e';
}

static void report_exec(const struct task_struct *task, const struct linux_binprm *bprm)
{
	struct gamer_event *e;
	long comm_len, len;

	if (ignored(task))
		return;
	e = event_start(GAMER_EV_EXEC, task, &comm_len);
	if (!e)
		return;

	len = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
					BPF_CORE_READ(bprm, filename));
	if (ends_in_exe(e->filename, len, sizeof(e->filename)) ||
	    ends_in_exe(e->comm, comm_len, sizeof(e->comm)))
		e->flags |= GAMER_EVF_EXE_SUFFIX;
	/* After exec the comm is the file's base name: "wine", "wine64", "wine64-preloader"... */
	if (starts_with_wine(e->comm))
		e->flags |= GAMER_EVF_WINE;
	bpf_ringbuf_submit(e, 0);
}

SEC("lsm/bprm_committed_creds")
int BPF_PROG(detect_exec_lsm, const struct linux_binprm *bprm)
{
	report_exec(bpf_get_current_task_btf(), bprm);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(detect_exec_tp, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	report_exec(p, bprm);
	return 0;
}

/*
 * A process renames itself (prctl(PR_SET_NAME) or /proc/PID/comm): Wine does so with the name
 * of the .exe it runs. Only thread group leaders, and not the rename every exec does (exec is
 * reported on its own). fentry sees the old name still in place, so WINE is set when a
 * "wine*" process takes a new name.
 */
SEC("fentry/__set_task_comm")
int BPF_PROG(detect_rename, struct task_struct *tsk, const char *buf, bool exec)
{
	struct gamer_event *e;
	long len;

	if (exec || BPF_CORE_READ(tsk, pid) != BPF_CORE_READ(tsk, tgid) || ignored(tsk))
		return 0;
	e = event_start(GAMER_EV_RENAME, tsk, NULL);
	if (!e)
		return 0;

	if (starts_with_wine(e->comm))
		e->flags |= GAMER_EVF_WINE;
	/* The kernel keeps the first TASK_COMM_LEN - 1 bytes; so does this. */
	len = bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), buf);
	if (ends_in_exe(e->comm, len, sizeof(e->comm)))
		e->flags |= GAMER_EVF_EXE_SUFFIX;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * The end of a watched process: reported when its last thread exits (signal->live has dropped
 * to 0 before this tracepoint), once. Threads exiting together may each see live == 0, but only
 * one of them succeeds in deleting the tgid from watched_tgids.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(detect_exit, struct task_struct *p)
{
	struct gamer_event *e;
	u32 tgid;

	if (BPF_CORE_READ(p, signal, live.counter))
		return 0;
	tgid = BPF_CORE_READ(p, tgid);
	if (bpf_map_delete_elem(&watched_tgids, &tgid))
		return 0;

	e = event_start(GAMER_EV_EXIT, p, NULL);
	if (!e)
		return 0;
	e->flags |= GAMER_EVF_WATCHED;
	e->exit_code = BPF_CORE_READ(p, exit_code); /* wait(2) status: code << 8 | signal */
	bpf_ringbuf_submit(e, 0);
	return 0;
}
