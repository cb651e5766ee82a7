/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * scx_gamer's game detector: tells the daemon about every exec, about processes renaming
 * themselves, and about the end of the processes it watches. The daemon decides what is a
 * game; the kernel side only drops what is cheap to rule out here (kernel threads, the daemon
 * itself) and sets a few hints (enum gamer_event_flags).
 *
 * It is a separate object from the scheduler so that detection goes on while the scheduler is
 * detached, or after the kernel ejected it.
 *
 * A game is a process tree: processes forked by a game's process join its tree here, in the
 * kernel, before they first run, and the end of a tree is reported when its last process ends
 * (see "Game trees" in intf.h).
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
#ifndef READ_ONCE
#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))
#endif

/* The daemon's own tgid: its own execs and renames never need classifying. */
const volatile u32 self_tgid;

/* Records lost because `events` was full (the daemon fell behind); read by the daemon. */
u64 nr_dropped;

/*
 * Everything reported: struct gamer_event for renames and exits, struct gamer_exec_event (with
 * the argument and environment strings) for execs. 2 MiB hold about 500 execs of a desktop
 * session's typical 4 KiB of strings, or 60 at the 32 KiB cap.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 2 * 1024 * 1024);
} events SEC(".maps");

/*
 * Every process of every game tree: tgid -> tree slot (< GAMER_MAX_GAMES). The daemon adds the
 * roots and hands this map to the scheduler as its game_tgids; the fork hook adds children and
 * the exit hook removes whoever ends. Every other fork and exit costs one hash lookup.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GAMER_MAX_GAME_PROCS);
	__type(key, u32);
	__type(value, u32);
} game_tgids SEC(".maps");

/* Per tree slot: the root's tgid (0: slot free) and how many of its processes live. */
u32 tree_root[GAMER_MAX_GAMES];
u32 tree_procs[GAMER_MAX_GAMES];
/* Processes in game_tgids that the fork hook added (the daemon's roots are not counted). */
u32 nr_joined;
/* Forks of a game's process that joined no tree: a bound was reached (read by the daemon). */
u64 nr_tree_full;

static __always_inline bool ignored(const struct task_struct *task)
{
	return (BPF_CORE_READ(task, flags) & PF_KTHREAD) || BPF_CORE_READ(task, tgid) == self_tgid;
}

/*
 * Fills in everything of e but the kind-specific fields; returns the length of the comm copied,
 * NUL included.
 */
static long event_fill(struct gamer_event *e, u32 kind, const struct task_struct *task)
{
	u32 tgid = BPF_CORE_READ(task, tgid);

	e->kind = kind;
	e->flags = bpf_map_lookup_elem(&game_tgids, &tgid) ? GAMER_EVF_WATCHED : 0;
	e->pid = BPF_CORE_READ(task, pid);
	e->tgid = tgid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->exit_code = 0;
	e->root = 0;
	/*
	 * Whose process it is (for an exec: the credentials just committed), so that the daemon
	 * need not read /proc/PID/status later, when the pid may have been reused.
	 */
	e->uid = BPF_CORE_READ(task, real_cred, uid.val);
	e->ts_ns = bpf_ktime_get_ns();
	e->filename[0] = '\0';
	return BPF_CORE_READ_STR_INTO(&e->comm, task, comm);
}

/* A rename or exit record for task, filled in but its kind-specific fields; NULL when full. */
static struct gamer_event *event_start(u32 kind, const struct task_struct *task)
{
	struct gamer_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&nr_dropped, 1);
		return NULL;
	}
	event_fill(e, kind, task);
	return e;
}

/*
 * Whether the string just read into buf ends in ".exe", in any case. len is what
 * bpf_probe_read_kernel_str() returned: the length including the terminating NUL.
 */
static __always_inline bool ends_in_exe(const char *buf, long len, u32 size)
{
	u64 dot = len - 5; /* huge when len < 5 */

	/*
	 * One unsigned check of the index itself. A check of len alone is not enough for the 6.19
	 * verifier: it does not carry len's bounds over to the index derived from it (the compiler
	 * computes that in a 32-bit register), and rejects the program with "unbounded memory
	 * access". barrier_var() keeps the compiler from folding the check back into one on len.
	 */
	barrier_var(dot);
	if (dot > size - 5)
		return false;
	return buf[dot] == '.' && (buf[dot + 1] | 0x20) == 'e' && (buf[dot + 2] | 0x20) == 'x' &&
	       (buf[dot + 3] | 0x20) == 'e';
}

static __always_inline bool starts_with_wine(const char *comm)
{
	return comm[0] == 'w' && comm[1] == 'i' && comm[2] == 'n' && comm[3] == 'e';
}

/*
 * Copies len bytes of user memory at src into the record's strings, a chunk at a time (the
 * verifier needs a constant size for each slice of the record). Returns the bytes copied: fewer
 * than len if a page was not there.
 */
static __always_inline u32 copy_strings(struct bpf_dynptr *rec, unsigned long src, u32 len)
{
	u32 i, copied = 0;

	bpf_for(i, 0, GAMER_STRINGS_MAX / GAMER_STRINGS_CHUNK) {
		u32 n = len - copied;
		char *dst;

		if (copied >= len)
			break;
		if (n > GAMER_STRINGS_CHUNK)
			n = GAMER_STRINGS_CHUNK;
		dst = bpf_dynptr_data(rec, sizeof(struct gamer_exec_event) + copied,
				      GAMER_STRINGS_CHUNK);
		if (!dst || bpf_probe_read_user(dst, n, (const void *)(src + copied)))
			break;
		copied += n;
	}
	return copied;
}

/*
 * An exec record for task. The new image's strings lie at [strings, strings_end) in its address
 * space (now current's); the record is sized to them, up to GAMER_STRINGS_MAX.
 */
static void report_exec(const struct task_struct *task, const struct linux_binprm *bprm,
			unsigned long strings, unsigned long strings_end)
{
	struct gamer_exec_event *x;
	struct bpf_dynptr rec;
	u32 total, len, chunks;
	long comm_len, name_len;

	if (ignored(task))
		return;
	total = strings_end > strings ? strings_end - strings : 0;
	len = total < GAMER_STRINGS_MAX ? total : GAMER_STRINGS_MAX;
	chunks = (len + GAMER_STRINGS_CHUNK - 1) / GAMER_STRINGS_CHUNK;
	if (bpf_ringbuf_reserve_dynptr(&events, sizeof(*x) + chunks * GAMER_STRINGS_CHUNK, 0,
				       &rec)) {
		bpf_ringbuf_discard_dynptr(&rec, 0); /* required even when the reservation failed */
		__sync_fetch_and_add(&nr_dropped, 1);
		return;
	}
	x = bpf_dynptr_data(&rec, 0, sizeof(*x));
	if (!x) {
		bpf_ringbuf_discard_dynptr(&rec, 0);
		return;
	}

	comm_len = event_fill(&x->ev, GAMER_EV_EXEC, task);
	name_len = bpf_probe_read_kernel_str(x->ev.filename, sizeof(x->ev.filename),
					     BPF_CORE_READ(bprm, filename));
	if (ends_in_exe(x->ev.filename, name_len, sizeof(x->ev.filename)) ||
	    ends_in_exe(x->ev.comm, comm_len, sizeof(x->ev.comm)))
		x->ev.flags |= GAMER_EVF_EXE_SUFFIX;
	/* After exec the comm is the file's base name: "wine", "wine64", "wine64-preloader"... */
	if (starts_with_wine(x->ev.comm))
		x->ev.flags |= GAMER_EVF_WINE;
	x->argc = BPF_CORE_READ(bprm, argc);
	x->strings_total = total;
	x->strings_len = copy_strings(&rec, strings, len);
	x->pad = 0;
	bpf_ringbuf_submit_dynptr(&rec, 0);
}

/*
 * Here the new address space is in place but not yet set up: the strings are where exec copied
 * them, below the file name at bprm->exec, and /proc/PID/cmdline still reads empty.
 */
SEC("lsm/bprm_committed_creds")
int BPF_PROG(detect_exec_lsm, const struct linux_binprm *bprm)
{
	report_exec(bpf_get_current_task_btf(), bprm, BPF_CORE_READ(bprm, p),
		    BPF_CORE_READ(bprm, exec));
	return 0;
}

/* Here the exec is done: the strings are where /proc/PID/cmdline and environ read them. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(detect_exec_tp, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	report_exec(p, bprm, BPF_CORE_READ(p, mm, arg_start), BPF_CORE_READ(p, mm, env_end));
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
	e = event_start(GAMER_EV_RENAME, tsk);
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
 * A process forked by a process of a game tree joins the tree. This runs in the parent after
 * copy_process(), before the child is first woken: the child's first instruction already runs
 * as a game's. New threads share their creator's tgid and need nothing. Bounded (intf.h): a
 * fork past a bound is counted and stays an ordinary process; nothing here fails a fork.
 */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(detect_fork, struct task_struct *parent, struct task_struct *child)
{
	u32 ptgid = BPF_CORE_READ(parent, tgid), ctgid = BPF_CORE_READ(child, tgid);
	struct gamer_event *e;
	u32 *found, slot, value;

	if (ctgid == ptgid)
		return 0; /* a thread */
	found = bpf_map_lookup_elem(&game_tgids, &ptgid);
	if (!found)
		return 0;
	slot = *found;
	if (slot >= GAMER_MAX_GAMES || !READ_ONCE(tree_root[slot]))
		return 0; /* its tree is being ended */
	/*
	 * The map value is a copy: were slot's own address handed to the helper, the compiler
	 * would reload slot from the stack after the call, and the verifier would lose its bound.
	 */
	value = slot;
	if (READ_ONCE(tree_procs[slot]) >= GAMER_MAX_TREE_PROCS ||
	    READ_ONCE(nr_joined) >= GAMER_MAX_GAME_PROCS - GAMER_MAX_GAMES ||
	    bpf_map_update_elem(&game_tgids, &ctgid, &value, BPF_NOEXIST)) {
		__sync_fetch_and_add(&nr_tree_full, 1);
		return 0;
	}
	__sync_fetch_and_add(&tree_procs[slot], 1);
	__sync_fetch_and_add(&nr_joined, 1);

	e = event_start(GAMER_EV_JOIN, child);
	if (!e)
		return 0;
	e->ppid = ptgid;
	e->root = READ_ONCE(tree_root[slot]);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/*
 * The end of a process of a game tree, when its last thread exits (signal->live has dropped to
 * 0 before this tracepoint). Threads exiting together may each see live == 0, but only one of
 * them succeeds in deleting the tgid from game_tgids, and only the deletion that takes the
 * tree's count to 0 reports the tree's end: once.
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(detect_exit, struct task_struct *p)
{
	struct gamer_event *e;
	u32 tgid, slot, root, *found;

	if (BPF_CORE_READ(p, signal, live.counter))
		return 0;
	tgid = BPF_CORE_READ(p, tgid);
	found = bpf_map_lookup_elem(&game_tgids, &tgid);
	if (!found)
		return 0;
	slot = *found;
	/*
	 * The root is read while the entry is still there: the daemon ends a tree by deleting its
	 * entries, then clearing tree_root[slot] (DetectorBpf::unwatch). Read after the deletion,
	 * a root that exits meanwhile could see 0, be counted out of nr_joined, which never
	 * counted it, and wrap it: every join after that would be refused.
	 */
	root = slot < GAMER_MAX_GAMES ? READ_ONCE(tree_root[slot]) : 0;
	if (bpf_map_delete_elem(&game_tgids, &tgid) || slot >= GAMER_MAX_GAMES)
		return 0;
	if (tgid != root)
		__sync_fetch_and_sub(&nr_joined, 1);
	if (__sync_fetch_and_sub(&tree_procs[slot], 1) != 1)
		return 0; /* others of its tree live on */

	e = event_start(GAMER_EV_EXIT, p);
	if (!e)
		return 0;
	e->flags |= GAMER_EVF_WATCHED;
	e->root = READ_ONCE(tree_root[slot]);
	e->exit_code = BPF_CORE_READ(p, exit_code); /* wait(2) status: code << 8 | signal */
	bpf_ringbuf_submit(e, 0);
	return 0;
}
