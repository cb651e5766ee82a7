/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * scx_gamer's scheduler: a deadline (EDF) scheduler that puts the threads of games ahead of
 * everything else without letting anything else starve.
 *
 * Queues. Threads of the processes the daemon registered as games (map game_tgids), and the
 * daemon's own, wait in a game queue, all other tasks in a background queue, each ordered by
 * virtual deadline. There is one pair per cache domain (CPUs that share an L3 cache, cpu_llc,
 * from the daemon): a task waits in the queue of the domain it last ran in, a game thread in
 * that of the CPU found for it. A CPU that needs work takes from its domain's game queue first,
 * then game threads that have waited in another domain's for over GAMER_STEAL_DELAY_NS, then its
 * domain's background queue, then any other domain's; except when it has passed waiting
 * background work of its domain over for longer than tunables.bg_starve_ns: games win every
 * contest, but no task waits forever (and sched_ext's watchdog never has a reason to unload us).
 *
 * The floor. Anyone can make a process look like a game (a .exe in argv[0], SteamAppId in the
 * environment), so games winning every contest must not mean the rest of the machine gets
 * nothing: each CPU counts the time it spent on game and on background work, halving both every
 * GAMER_SHARE_HALFLIFE_NS, and while background work waits and has had less than
 * tunables.bg_min_share_pct percent of that CPU, the CPU takes background work first. Like the
 * kernel's RT throttling, which leaves 5% of every CPU to other tasks, it guarantees a share;
 * the starvation guard above bounds a wait, and each does what the other cannot. Without the
 * guard, background work that arrives after the background had its share waits until that share
 * has decayed below the floor, which can take several half-lives. Without the floor, background
 * work gets one task run per bg_starve_ns however little that task runs, so 2 ms slices every
 * 50 ms (4%) by default, and nothing a profile could not lower to a fraction of a percent.
 *
 * Deadlines. vtime advances by the CPU time a task uses, scaled by the inverse of its weight,
 * so that CPU time is shared by weight. The deadline is vtime plus the runtime the task has
 * accumulated since it last woke up: of two tasks with the same vtime, the one that runs in
 * short bursts (a game's main or render thread, an audio thread) goes first, a CPU hog last.
 * A sleeper's vtime is raised to at least vtime_now - slice_lag when it wakes up, so sleeping
 * earns bounded credit, and the burst term is capped by the same lag.
 *
 * Overdue tasks. Deadlines share CPU time by weight, so a task of low weight is charged many
 * times the CPU time it uses (nice 19: 100 times): after one slice it may wait for seconds while
 * its deadline comes round, longer than sched_ext's watchdog allows once enough tasks compete.
 * So a CPU looks through every domain's DSQs every GAMER_OVERDUE_SCAN_NS and runs next a task that
 * has waited there longer than GAMER_MAX_WAIT_NS, whatever its deadline.
 *
 * CPUs. A waking task goes straight to an idle CPU when there is one (a game thread in its own
 * cache domain, whole idle cores first; the primary domain first for background tasks, the
 * waker's CPU for sync wakeups within one address space with mm_affinity). A game thread that
 * has to queue preempts a CPU that runs background work (game_preempt): the one it was woken on,
 * at once and without a kick, when that one runs background work; otherwise one it kicks, chosen
 * among the CPUs that run background work: two random ones of its domain, then each CPU of the
 * domain, then two random ones of every other domain; never an idle, offline or real-time-busy
 * CPU. It leaves its domain only when the domain has neither an idle CPU nor background work to
 * preempt. Per-CPU kernel threads (kworker/N, ksoftirqd/N) queue with the game threads.
 *
 * CPU hotplug. ops.cpu_online/cpu_offline are left out: the kernel then ends the scheduler with
 * SCX_ECODE_ACT_RESTART at every hotplug event, and the daemon loads it again with the cache
 * domains read again.
 *
 * Higher classes. A local DSQ is a promise to run there next. When a real-time or deadline task
 * takes a CPU, ops.cpu_release() hands the tasks of its local DSQ back to the shared DSQs, so no
 * task waits behind it where no other CPU can see it; nothing is put in a local DSQ while such
 * a task runs there.
 *
 * CPU frequency. Each CPU's performance target (scx_bpf_cpuperf_set(), what schedutil takes for
 * its utilization) is full speed while a game thread runs there, its utilization over the last
 * ~0.1-0.2 s otherwise (full speed from 3/4 busy), and 0 while it idles. sched_ext starts every
 * CPU at full speed; without this, a schedutil machine would stay at full speed for as long as
 * we are attached.
 *
 * Idle. Nothing runs periodically while nothing waits: the wakeup timer stops when the shared
 * DSQs are empty, and ops.tick() only runs on CPUs that run a task.
 *
 * Every tunable a profile changes is in `tunables` (.data): the daemon rewrites it while we
 * run and each decision reads the current value. Only the CPU topology inputs are read-only.
 */
#include "common.bpf.h"

char _license[] SEC("license") = "GPL";

/*
 * The shared dispatch queues, two per cache domain (ids of user DSQs, created in gamer_init()):
 * domain l's game queue is GAME_DSQ(l), its background queue BG_DSQ(l).
 */
#define GAME_DSQ(llc) ((u64)(llc))
#define BG_DSQ(llc) ((u64)GAMER_MAX_LLCS + (llc))
#ifdef SCX_GAMER_TEST_HOOKS
/* never consumed: a task parked here stalls until the watchdog fires */
#define STALL_DSQ ((u64)2 * GAMER_MAX_LLCS)
#endif
/*
 * How long a game thread waits in its own domain's queue before a CPU of another domain takes
 * it: the CPU kicked for it in its domain usually comes first, with the thread's cache warm.
 */
#define GAMER_STEAL_DELAY_NS (1000ULL * 1000)

/* Longest ops.timeout_ms allows is 30 s; 5 s catches a stall while the user still remembers. */
#define GAMER_TIMEOUT_MS 5000
/*
 * Longest a task waits in a shared DSQ before it runs regardless of its deadline: a fifth of the
 * watchdog's timeout, so that a task found late by the scan still runs long before it.
 */
#define GAMER_MAX_WAIT_NS (GAMER_TIMEOUT_MS * 1000ULL * 1000 / 5)
/* How often each CPU looks for such a task (on its way through ops.dispatch()). */
#define GAMER_OVERDUE_SCAN_NS (50ULL * 1000 * 1000)
/*
 * Memory of the floor's accounting: each CPU halves its game and background run times this
 * often, so the share it compares with the floor is that of roughly the last 0.1-0.2 s. Halving
 * both sums keeps their ratio, so when it happens does not change a decision; the window only
 * has to be long against a background slice (2 ms by default; the floor gives one at a time).
 */
#define GAMER_SHARE_HALFLIFE_NS (100ULL * 1000 * 1000)
/* Re-check period of the wakeup timer while tunables.wakeup_timer_ns is 0 (paused). */
#define WAKEUP_TIMER_PAUSED_NS (100ULL * 1000 * 1000)
/* Shortest wakeup-timer period: a typo in a profile must not turn the timer into a storm. */
#define WAKEUP_TIMER_MIN_NS (50ULL * 1000)
#define CLOCK_MONOTONIC 1

/*
 * CPU frequency (see cpu_perf). Utilization at or above which a CPU asks for full speed: schedutil
 * adds a quarter of headroom to what it is given, so 3/4 of the capacity already asks for ~94%
 * of the top frequency; the rest is not worth a half-speed CPU that is busy all the time.
 */
#define GAMER_CPUPERF_FULL (GAMER_CPUPERF_ONE * 3 / 4)
/* Targets are rounded up to a multiple of this, so a tick's noise does not change them. */
#define GAMER_CPUPERF_STEP (GAMER_CPUPERF_ONE / 16)
/*
 * The recent utilization counts once it covers this much time; until then only the decayed one
 * does (right after a halving the recent window is too short to mean anything).
 */
#define GAMER_UTIL_RECENT_MIN_NS (10ULL * 1000 * 1000)
/* Policies of the real-time and deadline classes (uapi/linux/sched.h). */
#define SCHED_DEADLINE 6
/* task_struct.flags: a kernel thread (include/linux/sched.h). */
#define PF_KTHREAD 0x00200000

/* ---- Reload-only configuration: written by the loader before load, constant afterwards ---- */

/* Number of possible CPUs (libbpf_num_possible_cpus()): bound of every loop over CPUs. */
const volatile u32 nr_cpus = 1;
/* True when background tasks have no preferred CPUs; otherwise see primary_cpus. */
const volatile bool primary_all = true;
/* Bitmap of the primary domain: the CPUs tried first for background tasks. */
const volatile u64 primary_cpus[GAMER_CPU_WORDS];
/* The cache domains (intf.h): how many, and each CPU's. */
const volatile u32 nr_llcs = 1;
const volatile u32 cpu_llc[GAMER_MAX_CPUS];
/*
 * The daemon's tgid (0: none). Its threads are scheduled like a game's: a game's detection, and
 * everything the daemon does for it, waits on them, and they run in short bursts. They are not
 * counted as a game's in the statistics or the latency histogram.
 */
const volatile u32 daemon_tgid;

/*
 * ---- Live tunables: the daemon rewrites these while the scheduler runs (see intf.h) ----
 * No defaults here: the loader sets every field before the scheduler loads, from the flag table
 * (daemon/tuning/flags.cpp), the one place where the defaults are written down.
 */
struct gamer_tunables tunables;

/* ---- State shared with the daemon ---- */

/* Incremented by the daemon after every change of game_tgids; tasks re-check when it moves. */
u64 game_gen;
/* Why the kernel unloaded the scheduler; kind stays 0 while it runs. */
struct gamer_exit_info exit_info;

#ifdef SCX_GAMER_TEST_HOOKS
/* Fault injection for the reliability tests; absent from release builds. */
u32 test_inject_error; /* nonzero: the next ops.dispatch() aborts the scheduler ("injected") */
u32 test_stall_pid;    /* nonzero: this thread is parked in STALL_DSQ until the watchdog fires */
#endif

/*
 * Thread groups that are games (tgid -> any value). Cached per task, see game_gen. The daemon
 * replaces it with the detector's map of game trees (intf.h), whose size it must match.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GAMER_MAX_GAME_PROCS);
	__type(key, u32);
	__type(value, u32);
} game_tgids SEC(".maps");

/* Counters, indexed by enum gamer_stat_idx; per CPU so increments never contend. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GAMER_NR_STATS);
	__type(key, u32);
	__type(value, u64);
} stats SEC(".maps");

/*
 * Each CPU's performance target as last set (intf.h): one u64 per CPU, GAMER_CPUPERF_ONE at load,
 * as the kernel sets it when a scheduler attaches. The daemon reads it for its statistics.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} cpu_perf SEC(".maps");

/* Game wakeup latency (runnable -> running) histogram; bucket layout in intf.h. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GAMER_LAT_BUCKETS);
	__type(key, u32);
	__type(value, u64);
} lat_hist SEC(".maps");

/* One struct gamer_exit_event per unload, so the daemon learns of it without polling. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} exit_events SEC(".maps");

/* Per-task scheduling state, created in ops.init_task(). */
struct task_ctx {
	u64 vtime;        /* virtual time: CPU time used, scaled by the inverse of weight */
	u64 exec_runtime; /* CPU time used since the task last became runnable */
	u64 started_at;   /* when it last started running */
	u64 woke_at;      /* when it last woke up; 0 once that wakeup's latency is recorded */
	u64 queued_at;    /* when it was last inserted into a shared DSQ */
	u64 game_gen;     /* game_gen that is_game was computed for */
	s32 last_cpu;     /* CPU it last ran on, -1 before its first run */
	bool is_game;     /* its tgid is in game_tgids */
	bool is_daemon;   /* its tgid is daemon_tgid */
	bool wake_boost;  /* woken by a game thread: urgent until it sleeps or spends boost_ns */
	u64 boost_ns;     /* CPU time run under the current wake boost */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

/* Per-CPU scheduling state. */
struct cpu_ctx {
	u64 games_first_since; /* since when this CPU has taken game threads while background
				  work waited; 0 when it has not */
	u32 games_in_row;      /* game threads taken since then (the guard's count bound) */
	u32 no_preempt;        /* a game thread runs here, or a game preemption is on its way */
	u32 guarded;           /* the starvation guard just dispatched: spare the next task */
	u64 overdue_scan_at;   /* when this CPU last looked for overdue tasks */
	/* The floor's accounting, see account_cpu_time(): time this CPU ran ... */
	u64 game_ns;        /* ... game threads (and the daemon's), decayed */
	u64 bg_ns;          /* ... everything else, decayed */
	u64 share_decay_at; /* when game_ns and bg_ns were last halved */
	/* Utilization for the CPU frequency, see account_cpu_time() and cpu_util() */
	u64 wall_ns;        /* time that passed, decayed like game_ns and bg_ns */
	u64 wall_at;        /* up to when wall_ns counts */
	u64 recent_busy_ns; /* run time since share_decay_at, not decayed */
	u64 recent_wall_ns; /* time since share_decay_at, as far as accounted */
	u64 charged_at;     /* up to when the running task's time is charged to this CPU */
	u32 bg_running;     /* a background task runs here (a preemption target) */
	u64 started_at;     /* when the task running here started, of any kind */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct cpu_ctx);
} cpu_ctxs SEC(".maps");

/*
 * The idle-kick timer, armed in gamer_init(). It only runs while work waits in the shared DSQs:
 * on an idle machine it stops (wakeup_timer_stopped) rather than wake a CPU every millisecond
 * for nothing, and the next insertion into a shared DSQ starts it again.
 */
struct wakeup_timer {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct wakeup_timer);
} wakeup_timer SEC(".maps");

/* 1 while the wakeup timer is stopped because its last tick found the shared DSQs empty. */
static u32 wakeup_timer_stopped;

/* Highest vtime of any task that started running: the system's virtual clock. */
static u64 vtime_now;

/* The primary domain as a cpumask, built from primary_cpus in gamer_init(). */
GAMER_PRIVATE(primary) struct bpf_cpumask __kptr *primary_cpumask;

/*
 * Each cache domain's CPUs, built from cpu_llc in gamer_init(): as a cpumask (for the kernel's
 * idle picker), and as a list, llc_cpus[llc_first[l]] to llc_cpus[llc_first[l + 1] - 1] (for
 * picking among them at random or in turn without a walk over every CPU).
 */
struct llc_mask {
	struct bpf_cpumask __kptr *cpus;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GAMER_MAX_LLCS);
	__type(key, u32);
	__type(value, struct llc_mask);
} llc_masks SEC(".maps");

static u32 llc_cpus[GAMER_MAX_CPUS];
static u32 llc_first[2 * GAMER_MAX_LLCS]; /* GAMER_MAX_LLCS + 1 used; a power of two to mask */

/*
 * Array indices, masked as well as tested: the compiler may move a plain bounds test away from
 * the access, and the verifier then sees an unbounded offset. Both sizes are powers of two.
 */
#define CPU_IDX(i) ((i) & (GAMER_MAX_CPUS - 1))
#define LLC_IDX(i) ((i) & (2 * GAMER_MAX_LLCS - 1))

/* The cache domain of a CPU. */
static u32 llc_of(s32 cpu)
{
	u32 llc;

	if (cpu < 0 || cpu >= GAMER_MAX_CPUS)
		return 0;
	llc = cpu_llc[CPU_IDX((u32)cpu)];
	return llc < nr_llcs && llc < GAMER_MAX_LLCS ? llc : 0;
}

static void stat_inc(u32 idx)
{
	u64 *cnt = bpf_map_lookup_elem(&stats, &idx);

	if (cnt)
		(*cnt)++;
}

static struct task_ctx *lookup_task_ctx(const struct task_struct *p)
{
	return bpf_task_storage_get(&task_ctxs, (struct task_struct *)p, 0, 0);
}

static struct cpu_ctx *this_cpu_ctx(void)
{
	u32 zero = 0;

	return bpf_map_lookup_elem(&cpu_ctxs, &zero);
}

/*
 * Whether p belongs to a game. game_tgids is looked up only when the daemon changed it since
 * the last look, so the common case costs one load and one compare.
 */
static bool task_is_game(const struct task_struct *p, struct task_ctx *tctx)
{
	u64 gen = READ_ONCE(game_gen);
	u32 tgid;

	if (tctx->game_gen != gen) {
		tgid = p->tgid;
		tctx->is_game = bpf_map_lookup_elem(&game_tgids, &tgid) != NULL;
		tctx->game_gen = gen;
		if (tctx->is_game && READ_ONCE(tunables.verbose))
			bpf_printk("gamer: %s[%d] is a game thread", p->comm, p->pid);
	}
	return tctx->is_game;
}

/* Whether a task is scheduled like a game thread, as of its last game-map check. */
static bool ctx_is_urgent(const struct task_ctx *tctx)
{
	return tctx->is_game || tctx->is_daemon || tctx->wake_boost;
}

/* Whether p is scheduled like a game thread: it is one, or one of the daemon's. */
static bool task_is_urgent(const struct task_struct *p, struct task_ctx *tctx)
{
	task_is_game(p, tctx);
	return ctx_is_urgent(tctx);
}

static u64 task_slice(bool urgent)
{
	return urgent ? READ_ONCE(tunables.game_slice_ns) : READ_ONCE(tunables.slice_ns);
}

static u64 task_deadline(struct task_ctx *tctx)
{
	u64 lag = READ_ONCE(tunables.slice_lag_ns);
	u64 vtime_min = vtime_now - lag;

	if (time_before(tctx->vtime, vtime_min))
		tctx->vtime = vtime_min;
	return tctx->vtime + min_u64(tctx->exec_runtime, lag);
}

/*
 * p can run on its current CPU only: its affinity says so, or migration is disabled (such
 * tasks reach ops.enqueue() with SCX_OPS_ENQ_MIGRATION_DISABLED).
 */
static bool task_pinned(const struct task_struct *p)
{
	if (p->nr_cpus_allowed == 1)
		return true;
	if (!bpf_core_field_exists(p->migration_disabled))
		return false;
	/*
	 * With preemptible RCU the BPF trampoline itself disables migration of the current task
	 * around our callback, so a count of 1 on current is ours, not the task's. The kernel has
	 * preemptible RCU when tasks carry an RCU nesting count (no Kconfig file needed).
	 */
	if (p->migration_disabled == 1 && bpf_core_field_exists(p->rcu_read_lock_nesting))
		return p != (void *)bpf_get_current_task_btf();
	return p->migration_disabled;
}

#ifdef SCX_GAMER_TEST_HOOKS
static bool test_stalled(const struct task_struct *p)
{
	u32 pid = READ_ONCE(test_stall_pid);

	return pid && p->pid == pid;
}
#endif

/*
 * mm_affinity: on a sync wakeup between threads of one address space, the waker is about to
 * sleep and the wakee will touch the same memory: run it on the waker's CPU, warm caches
 * included, provided nothing else already waits there.
 */
static s32 waker_cpu(const struct task_struct *p)
{
	struct task_struct *waker = (void *)bpf_get_current_task_btf();
	s32 cpu = bpf_get_smp_processor_id();

	if (!p->mm || waker->mm != p->mm)
		return -ESRCH;
	if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr) || scx_bpf_dsq_nr_queued(SCX_DSQ_LOCAL))
		return -EBUSY;
	return cpu;
}

static const struct cpumask *llc_mask(u32 llc)
{
	struct llc_mask *m = bpf_map_lookup_elem(&llc_masks, &llc);

	return m ? (const struct cpumask *)m->cpus : NULL;
}

static struct cpu_ctx *cpu_ctx_of(s32 cpu)
{
	u32 zero = 0;

	return bpf_map_lookup_percpu_elem(&cpu_ctxs, &zero, cpu);
}

/*
 * Whether cpu runs background work that a game thread may preempt: not a game thread, not what
 * the starvation guard or the floor just gave it, not a task of a higher class (ops.stopping()
 * ran for the last task of ours), and nothing idle or offline.
 */
static bool preemptible(s32 cpu)
{
	struct cpu_ctx *cctx = cpu_ctx_of(cpu);

	return cctx && READ_ONCE(cctx->bg_running) && !READ_ONCE(cctx->no_preempt);
}

/* The j-th CPU of cache domain llc's list; j below the domain's size. */
static s32 llc_cpu(u32 first, u32 j)
{
	u32 i = first + j;

	if (i >= GAMER_MAX_CPUS)
		return -1;
	return llc_cpus[CPU_IDX(i)];
}

/*
 * A CPU of cache domain llc that runs preemptible background work and may run p, or a negative
 * value. Two CPUs of the domain drawn at random, the one whose background task has run longer;
 * then, if neither will do and thorough, the domain's CPUs in turn from a random one: at most
 * one look at each CPU of the domain, none at other domains'.
 */
static s32 llc_preempt_target(const struct task_struct *p, u32 llc, bool thorough)
{
	u32 first, size, start, j;
	s32 a, b, cpu;
	struct cpu_ctx *ca, *cb;

	if (llc >= GAMER_MAX_LLCS)
		return -ENOENT;
	first = llc_first[LLC_IDX(llc)];
	size = llc_first[LLC_IDX(llc + 1)] - first;
	if (!size || size > GAMER_MAX_CPUS)
		return -ENOENT;
	start = bpf_get_prandom_u32() % size;
	a = llc_cpu(first, start);
	b = llc_cpu(first, bpf_get_prandom_u32() % size);
	if (a >= 0 && !(bpf_cpumask_test_cpu(a, p->cpus_ptr) && preemptible(a)))
		a = -1;
	if (b >= 0 && !(bpf_cpumask_test_cpu(b, p->cpus_ptr) && preemptible(b)))
		b = -1;
	if (a >= 0 && b >= 0 && a != b) {
		ca = cpu_ctx_of(a);
		cb = cpu_ctx_of(b);
		if (ca && cb && time_before(cb->started_at, ca->started_at))
			return b;
		return a;
	}
	if (a >= 0)
		return a;
	if (b >= 0 || !thorough)
		return b;

	bpf_for(j, 0, size) {
		cpu = llc_cpu(first, (start + j) % size);
		if (cpu >= 0 && bpf_cpumask_test_cpu(cpu, p->cpus_ptr) && preemptible(cpu))
			return cpu;
	}
	return -ENOENT;
}

/* A CPU p can start on at once, claimed for it, or a negative errno when none is free. */
static s32 pick_idle_cpu(struct task_struct *p, bool urgent, s32 prev_cpu, u64 wake_flags)
{
	const struct cpumask *primary, *llc;
	bool is_idle = false;
	u32 dom;
	s32 cpu;

	if ((wake_flags & SCX_WAKE_SYNC) && READ_ONCE(tunables.mm_affinity)) {
		cpu = waker_cpu(p);
		if (cpu >= 0)
			return cpu;
	}

	/*
	 * A game thread stays in the cache domain it last ran in: an idle whole core there, then
	 * (unless avoid_smt) any idle CPU there; failing those, a CPU there that runs background
	 * work, which ops.enqueue() preempts. Only a domain with neither lets it go elsewhere.
	 */
	if (urgent && nr_llcs > 1) {
		dom = llc_of(prev_cpu);
		llc = llc_mask(dom);
		if (llc) {
			cpu = scx_bpf_select_cpu_and(p, prev_cpu, wake_flags & ~SCX_WAKE_SYNC, llc,
						     SCX_PICK_IDLE_CORE);
			if (cpu >= 0)
				return cpu;
			if (!READ_ONCE(tunables.avoid_smt)) {
				cpu = scx_bpf_select_cpu_and(p, prev_cpu,
							     wake_flags & ~SCX_WAKE_SYNC, llc, 0);
				if (cpu >= 0)
					return cpu;
			}
		}
		if (READ_ONCE(tunables.game_preempt) && llc_preempt_target(p, dom, true) >= 0)
			return -EBUSY;
	}

	if (urgent && READ_ONCE(tunables.avoid_smt)) {
		/*
		 * A whole idle core or nothing. SCX_WAKE_SYNC is left out because it lets the
		 * default policy settle for the waker's CPU whatever its SMT sibling runs.
		 */
		cpu = scx_bpf_select_cpu_and(p, prev_cpu, wake_flags & ~SCX_WAKE_SYNC, p->cpus_ptr,
					     SCX_PICK_IDLE_CORE);
		if (cpu >= 0)
			return cpu;
	}

	if (!urgent && !primary_all) {
		primary = (const struct cpumask *)primary_cpumask;
		if (primary) {
			cpu = scx_bpf_select_cpu_and(p, prev_cpu, wake_flags, primary, 0);
			if (cpu >= 0)
				return cpu;
		}
	}

	cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
	return is_idle ? cpu : -EBUSY;
}

/*
 * A game hands work to other processes: a finished frame to the compositor, a request to a
 * helper or a sound server. Such a wakee, queued as background work, would hold the game up
 * behind every background task, so a task woken by a game thread runs as urgent until it
 * sleeps again or has run for one background slice (tunables.slice_ns) since the wakeup, whichever
 * comes first. Preempted before either, it stays urgent: dropped into the background queue half
 * way through its work, it waited there for the starvation guard, tens of milliseconds. Only a
 * wakeup in the waker's own context counts: in an interrupt (a timer, a remote wakeup list) the
 * current task did not wake p. It is judged in ops.select_cpu(), which runs in the waker's
 * context even when the kernel then hands the wakeup to p's CPU through its remote wakeup list
 * (ops.runnable() runs there, in an interrupt), and in ops.runnable() for the tasks that skip
 * ops.select_cpu() (those that can run on one CPU only). A game can boost only what it wakes
 * itself, one slice per wakeup (a task that never sleeps is never woken again), and boosted runs
 * are bounded by the starvation guard and the floor like any game thread's.
 */
static void note_game_waker(const struct task_struct *p, struct task_ctx *tctx)
{
	const struct task_struct *waker;
	struct task_ctx *wctx;

	if (tctx->wake_boost || tctx->is_game || tctx->is_daemon ||
	    !READ_ONCE(tunables.wake_boost) || gamer_in_interrupt())
		return;
	waker = (void *)bpf_get_current_task_btf();
	if (waker == p)
		return;
	wctx = lookup_task_ctx(waker);
	if (wctx && wctx->is_game) {
		tctx->wake_boost = true;
		tctx->boost_ns = 0;
		stat_inc(GAMER_STAT_WAKE_BOOSTS);
	}
}

s32 GAMER_OP(gamer_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	bool urgent;
	s32 cpu;

	if (!tctx)
		return prev_cpu;
#ifdef SCX_GAMER_TEST_HOOKS
	if (test_stalled(p))
		return prev_cpu;
#endif
	task_is_game(p, tctx);
	if (wake_flags & GAMER_ENUM(enum scx_wake_flags, SCX_WAKE_TTWU))
		note_game_waker(p, tctx);
	urgent = task_is_urgent(p, tctx);
	cpu = pick_idle_cpu(p, urgent, prev_cpu, wake_flags);
	if (cpu < 0)
		return prev_cpu;

	/* Straight to the chosen CPU's local DSQ; ops.enqueue() is skipped. */
	scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, task_slice(urgent), 0);
	stat_inc(GAMER_STAT_DIRECT_DISPATCHED);
	return cpu;
}

static struct bpf_timer *lookup_wakeup_timer(void)
{
	u32 zero = 0;

	return bpf_map_lookup_elem(&wakeup_timer, &zero);
}

/* The wakeup timer's next period: the tunable in force now, clamped; a long one when paused. */
static u64 wakeup_timer_period(void)
{
	u64 period = READ_ONCE(tunables.wakeup_timer_ns);

	if (!period)
		return WAKEUP_TIMER_PAUSED_NS;
	return period < WAKEUP_TIMER_MIN_NS ? WAKEUP_TIMER_MIN_NS : period;
}

/*
 * Work was just queued: restart the wakeup timer if it stopped. An insertion racing with the
 * timer's decision to stop can miss it; the timer is a safety net behind the kicks every
 * insertion makes, and the next insertion restarts it.
 */
static void resume_wakeup_timer(void)
{
	struct bpf_timer *timer;

	if (!READ_ONCE(wakeup_timer_stopped) ||
	    !__sync_bool_compare_and_swap(&wakeup_timer_stopped, 1, 0))
		return;
	timer = lookup_wakeup_timer();
	if (timer)
		bpf_timer_start(timer, wakeup_timer_period(), 0);
}

/*
 * Claims an idle CPU that can take p from its DSQ (it comes looking for work once kicked), or
 * returns -ENOENT. A pinned task can only be taken by the CPU it is on. Otherwise cache domain
 * dom's CPUs first (when p may run on all of them), then any, whole idle cores first for game
 * threads: a game thread on one SMT sibling of a busy core runs slower than on a core of its own.
 */
static s32 claim_idle_cpu(const struct task_struct *p, bool pinned, bool urgent, u32 dom,
			  bool dom_only)
{
	const struct cpumask *llc;
	s32 cpu;

	if (pinned) {
		cpu = scx_bpf_task_cpu(p);
		return scx_bpf_test_and_clear_cpu_idle(cpu) ? cpu : -ENOENT;
	}
	llc = nr_llcs > 1 ? llc_mask(dom) : NULL;
	if (llc && bpf_cpumask_subset(llc, p->cpus_ptr)) {
		if (urgent) {
			cpu = scx_bpf_pick_idle_cpu(llc, SCX_PICK_IDLE_CORE);
			if (cpu >= 0)
				return cpu;
		}
		cpu = scx_bpf_pick_idle_cpu(llc, 0);
		if (cpu >= 0 || dom_only)
			return cpu >= 0 ? cpu : -ENOENT;
	} else if (dom_only && nr_llcs > 1) {
		return -ENOENT;
	}
	if (urgent) {
		cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, SCX_PICK_IDLE_CORE);
		if (cpu >= 0)
			return cpu;
	}
	cpu = scx_bpf_pick_idle_cpu(p->cpus_ptr, 0);
	return cpu >= 0 ? cpu : -ENOENT;
}

/* Claims cpu's no_preempt flag: no other game thread preempts it meanwhile. */
static bool claim_preemption(s32 cpu)
{
	struct cpu_ctx *cctx = cpu_ctx_of(cpu);

	return cctx && !__sync_val_compare_and_swap(&cctx->no_preempt, 0, 1);
}

/*
 * game_preempt: a CPU that runs background work and will reschedule for the game thread p once
 * kicked, claimed, or -ENOENT. A pinned thread has its own CPU only. Otherwise cache domain dom
 * (two random choices, then each of its CPUs), then every other domain (two random choices in
 * each), so the cost grows with the size of a domain and the number of domains, not with the
 * number of CPUs. Idle, offline and real-time-busy CPUs are never chosen: idle ones are found
 * by claim_idle_cpu(), the others would not run p.
 */
static s32 claim_preempt_target(const struct task_struct *p, bool pinned, u32 dom, bool dom_only)
{
	u32 i;
	s32 cpu;

	if (pinned) {
		cpu = scx_bpf_task_cpu(p);
		return preemptible(cpu) && claim_preemption(cpu) ? cpu : -ENOENT;
	}
	if (dom_only) {
		cpu = llc_preempt_target(p, dom, true);
		return cpu >= 0 && claim_preemption(cpu) ? cpu : -ENOENT;
	}
	bpf_for(i, 1, nr_llcs) {
		cpu = llc_preempt_target(p, (dom + i) % nr_llcs, false);
		if (cpu >= 0 && claim_preemption(cpu))
			return cpu;
	}
	return -ENOENT;
}

static void kick(s32 cpu, u64 flags)
{
	scx_bpf_kick_cpu(cpu, flags);
	stat_inc(GAMER_STAT_KICKS);
	if (flags & SCX_KICK_PREEMPT)
		stat_inc(GAMER_STAT_PREEMPT_KICKS);
}

/*
 * Where the game thread p is to run, claimed: *kick_flags says how to kick it, and *dom becomes
 * its cache domain, whose game queue p goes to. In the order: an idle CPU in p's domain, a CPU
 * there that runs background work (game_preempt), an idle CPU elsewhere, a CPU elsewhere that
 * runs background work. -ENOENT: every CPU p may use runs a game thread, or work the guard or
 * the floor gave it; p waits in its own domain's queue.
 */
static s32 claim_game_cpu(const struct task_struct *p, bool pinned, u32 *dom, u64 *kick_flags)
{
	bool preempt = READ_ONCE(tunables.game_preempt);
	s32 cpu;

	*kick_flags = SCX_KICK_IDLE;
	cpu = claim_idle_cpu(p, pinned, true, *dom, true);
	if (cpu >= 0)
		goto found;
	*kick_flags = SCX_KICK_PREEMPT;
	if (preempt && (cpu = claim_preempt_target(p, pinned, *dom, true)) >= 0)
		goto found;
	if (pinned)
		return -ENOENT;
	*kick_flags = SCX_KICK_IDLE;
	if ((cpu = claim_idle_cpu(p, false, true, *dom, false)) >= 0)
		goto found;
	*kick_flags = SCX_KICK_PREEMPT;
	if (preempt && nr_llcs > 1 && (cpu = claim_preempt_target(p, false, *dom, false)) >= 0)
		goto found;
	return -ENOENT;
found:
	*dom = llc_of(cpu);
	return cpu;
}

/*
 * p, a game thread, was woken on the CPU it is queued for (a timer that fired there, a wakeup
 * from a task there, or the kernel's remote wakeup list handing it over), and that CPU runs
 * background work that may be preempted: p may take the CPU at once, and the reschedule is
 * local, where a kick would have gone through an interrupt. The CPU's no_preempt flag is claimed
 * as claim_preempt_target() claims it: a CPU that runs a game thread, or a background task the
 * starvation guard or the floor just gave it, is not preempted this way either.
 *
 * What runs here is the interrupted task when this runs in an interrupt: it is judged by the
 * same flag, which the last sched_ext task to start here set, and by its policy, as a real-time
 * or deadline task may have taken the CPU since. The ext class is below those: p would wait
 * behind them in the local DSQ, invisible to other CPUs, so those go the shared way.
 */
static bool may_preempt_here(const struct task_struct *p, u64 enq_flags)
{
	const struct task_struct *curr = (void *)bpf_get_current_task_btf();
	s32 cpu = bpf_get_smp_processor_id();
	struct cpu_ctx *cctx;

	if (!(enq_flags & GAMER_ENUM(enum scx_enq_flags, SCX_ENQ_WAKEUP)) ||
	    !READ_ONCE(tunables.game_preempt) || scx_bpf_task_cpu(p) != cpu)
		return false;
	/* the idle task: then the idle kick is the way */
	if (!curr->pid || curr->policy == SCHED_FIFO || curr->policy == SCHED_RR ||
	    curr->policy == SCHED_DEADLINE)
		return false;
	cctx = this_cpu_ctx();
	return cctx && !__sync_val_compare_and_swap(&cctx->no_preempt, 0, 1);
}

/*
 * A kernel thread bound to one CPU (kworker/N, ksoftirqd/N, ...): work only that CPU can do, on
 * which others wait (deferred work, softirqs). It queues with the game threads, in deadline order:
 * behind background work it would wait until the starvation guard (--bg-starve-us) let it through
 * on a CPU that keeps running game threads.
 */
static bool percpu_kthread(const struct task_struct *p)
{
	return (p->flags & PF_KTHREAD) && p->nr_cpus_allowed == 1;
}

void GAMER_OP(gamer_enqueue, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	u64 slice, kick_flags;
	bool urgent, pinned;
	u32 dom;
	s32 cpu;

	if (!tctx) {
		scx_bpf_error("%s[%d] has no task context", p->comm, p->pid);
		return;
	}
	urgent = task_is_urgent(p, tctx);
	slice = task_slice(urgent);

#ifdef SCX_GAMER_TEST_HOOKS
	if (test_stalled(p)) {
		scx_bpf_dsq_insert(p, STALL_DSQ, slice, enq_flags);
		return;
	}
#endif
	/* The last task of a CPU whose slice ran out (SCX_ENQ_LAST): nothing else wants the CPU. */
	if (enq_flags & GAMER_ENUM(enum scx_enq_flags, SCX_ENQ_LAST)) {
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice, enq_flags);
		return;
	}

	pinned = task_pinned(p);

	/*
	 * Handed back from a local DSQ: a higher class took the CPU (gamer_cpu_release()), or the
	 * kernel could not run an SCX_ENQ_IMMED task at once. It goes the shared way, where any CPU
	 * can take it.
	 */
	if (enq_flags & GAMER_ENUM(enum scx_enq_flags, SCX_ENQ_REENQ)) {
		stat_inc(GAMER_STAT_REENQUEUED);
	} else if (urgent && may_preempt_here(p, enq_flags)) {
		/*
		 * SCX_ENQ_IMMED, where the kernel has it: should the CPU go to a real-time task
		 * before p runs, or while it runs, p comes back here with SCX_ENQ_REENQ.
		 */
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, slice,
				   enq_flags | GAMER_ENUM(enum scx_enq_flags, SCX_ENQ_PREEMPT) |
					   GAMER_ENUM(enum scx_enq_flags, SCX_ENQ_IMMED));
		if (tctx->is_game)
			stat_inc(GAMER_STAT_GAME_ENQUEUED);
		stat_inc(GAMER_STAT_LOCAL_PREEMPT);
		return;
	}

	/*
	 * Tasks that can run on a single CPU wait in the shared DSQs too, in deadline order with
	 * everybody else; only their CPU takes them from there. Parked in a local DSQ instead they
	 * would run ahead of every shared DSQ, and a few pinned CPU hogs would starve the rest.
	 */
	tctx->queued_at = scx_bpf_now();
	/*
	 * The queue of the cache domain p last ran in; a game thread's is that of the CPU claimed
	 * for it. The CPU is kicked once p is in the queue, so that it finds p there.
	 */
	dom = llc_of(scx_bpf_task_cpu(p));
	kick_flags = SCX_KICK_IDLE;
	if (urgent) {
		cpu = claim_game_cpu(p, pinned, &dom, &kick_flags);
		scx_bpf_dsq_insert_vtime(p, GAME_DSQ(dom), slice, task_deadline(tctx), enq_flags);
		if (tctx->is_game)
			stat_inc(GAMER_STAT_GAME_ENQUEUED);
		if (cpu >= 0 && (kick_flags & SCX_KICK_PREEMPT) && READ_ONCE(tunables.verbose))
			bpf_printk("gamer: %s[%d] preempts cpu %d", p->comm, p->pid, cpu);
	} else if (pinned && percpu_kthread(p)) {
		cpu = claim_idle_cpu(p, pinned, false, dom, false);
		scx_bpf_dsq_insert_vtime(p, GAME_DSQ(dom), slice, task_deadline(tctx), enq_flags);
		stat_inc(GAMER_STAT_KTHREAD_ENQUEUED);
	} else {
		/* an idle CPU of another domain takes p from here (its own queues are empty) */
		cpu = claim_idle_cpu(p, pinned, false, dom, false);
		scx_bpf_dsq_insert_vtime(p, BG_DSQ(dom), slice, task_deadline(tctx), enq_flags);
		stat_inc(GAMER_STAT_BG_ENQUEUED);
	}
	if (cpu >= 0)
		kick(cpu, kick_flags);
	resume_wakeup_timer();
}

/* The clock and the count of the starvation guard stop: background work ran or none waits. */
static void background_served(struct cpu_ctx *cctx)
{
	cctx->games_first_since = 0;
	cctx->games_in_row = 0;
}

/*
 * This CPU has kept taking game threads while background work waited, for longer than
 * bg_starve_ns or more than bg_starve_count times in a row. The clock and the count start when
 * it first passes waiting background work over and stop when it runs background work, finds
 * none waiting, or runs out of game threads: time spent idle or on background work never
 * counts. The count bounds what the clock cannot: game threads that each run briefly pass a
 * waiting task over hundreds of times within one bg_starve_ns.
 */
static bool background_starving(struct cpu_ctx *cctx, u32 dom, u64 now)
{
	u32 max_in_row = READ_ONCE(tunables.bg_starve_count);

	if (!scx_bpf_dsq_nr_queued(BG_DSQ(dom))) {
		background_served(cctx);
		return false;
	}
	if (max_in_row && cctx->games_in_row >= max_in_row)
		return true;
	return cctx->games_first_since &&
	       now - cctx->games_first_since > READ_ONCE(tunables.bg_starve_ns);
}

/* A game thread goes first: if background work waits, the guard's clock and count run. */
static void background_passed_over(struct cpu_ctx *cctx, u32 dom, u64 now)
{
	if (!scx_bpf_dsq_nr_queued(BG_DSQ(dom)))
		return;
	if (!cctx->games_first_since)
		cctx->games_first_since = now;
	cctx->games_in_row++;
}

/*
 * Waiting background work has had less than its floor (tunables.bg_min_share_pct) of this CPU's
 * recent time. A CPU that has run nothing lately (both sums 0) owes nobody anything.
 */
static bool background_below_floor(const struct cpu_ctx *cctx)
{
	u64 pct = READ_ONCE(tunables.bg_min_share_pct);
	u64 bg = cctx->bg_ns;

	return pct && bg * 100 < (cctx->game_ns + bg) * pct;
}

/*
 * Charges ran ns of this CPU's time to game or background work, after halving both sums once for
 * every GAMER_SHARE_HALFLIFE_NS since they were last halved. The sums stay below about twice the
 * half-life plus the longest run charged at once (the running task is charged at every tick, see
 * gamer_tick(); without ticks, a task that kept its CPU on refilled slices is charged when it
 * stops): even a day of it (8.64e13 ns) times 100 is far from overflowing
 * background_below_floor()'s products, or times GAMER_CPUPERF_ONE cpu_util()'s.
 *
 * The time that passed since the last call goes into wall_ns, halved with the others, so that
 * (game_ns + bg_ns) / wall_ns is the CPU's utilization over roughly the last 0.1-0.2 s, idle time
 * included. A gap longer than twice the half-life counts as twice the half-life: that is all that
 * would be left of it after its halvings.
 */
static void account_cpu_time(struct cpu_ctx *cctx, bool urgent, u64 ran, u64 now)
{
	u64 halvings, gap;

	if (!time_before(now, cctx->share_decay_at + GAMER_SHARE_HALFLIFE_NS)) {
		halvings = (now - cctx->share_decay_at) / GAMER_SHARE_HALFLIFE_NS;
		cctx->game_ns = halvings < 64 ? cctx->game_ns >> halvings : 0;
		cctx->bg_ns = halvings < 64 ? cctx->bg_ns >> halvings : 0;
		cctx->wall_ns = halvings < 64 ? cctx->wall_ns >> halvings : 0;
		cctx->recent_busy_ns = 0;
		cctx->recent_wall_ns = 0;
		cctx->share_decay_at = now;
	}
	gap = time_before(cctx->wall_at, now) ? now - cctx->wall_at : 0;
	gap = min_u64(gap, 2 * GAMER_SHARE_HALFLIFE_NS);
	cctx->wall_ns += gap;
	cctx->recent_wall_ns += gap;
	cctx->wall_at = now;
	cctx->recent_busy_ns += ran;
	if (urgent)
		cctx->game_ns += ran;
	else
		cctx->bg_ns += ran;
}

/* busy / wall in units of GAMER_CPUPERF_ONE, at most GAMER_CPUPERF_ONE. */
static u64 util_of(u64 busy, u64 wall)
{
	return wall ? min_u64(busy * GAMER_CPUPERF_ONE / wall, GAMER_CPUPERF_ONE) : 0;
}

/*
 * This CPU's utilization: the decayed one, or the one since the last halving when that is higher
 * and covers enough time, so that a CPU that just became busy speeds up within ~10 ms rather
 * than after several half-lives.
 */
static u64 cpu_util(const struct cpu_ctx *cctx)
{
	u64 util = util_of(cctx->game_ns + cctx->bg_ns, cctx->wall_ns);

	if (cctx->recent_wall_ns >= GAMER_UTIL_RECENT_MIN_NS)
		util = max_u64(util, util_of(cctx->recent_busy_ns, cctx->recent_wall_ns));
	return util;
}

/*
 * Sets this CPU's performance target (what schedutil takes for its utilization), if it changed:
 * full speed while a game thread runs here or the CPU is busy at least GAMER_CPUPERF_FULL of the
 * time, otherwise its utilization rounded up to a GAMER_CPUPERF_STEP. With idle, 0: an idle CPU
 * asks for nothing, so where CPUs share a frequency (schedutil takes the highest target of a
 * policy's CPUs) it does not hold its busy siblings up; it asks again when it next runs a task.
 */
static void set_cpu_perf(s32 cpu, const struct cpu_ctx *cctx, bool game, bool idle)
{
	u32 zero = 0;
	u64 target, *cur;

	if (idle) {
		target = 0;
	} else if (game) {
		target = GAMER_CPUPERF_ONE;
	} else {
		target = cpu_util(cctx);
		if (target >= GAMER_CPUPERF_FULL)
			target = GAMER_CPUPERF_ONE;
		else
			target = (target + GAMER_CPUPERF_STEP - 1) / GAMER_CPUPERF_STEP *
				 GAMER_CPUPERF_STEP;
	}
	cur = bpf_map_lookup_elem(&cpu_perf, &zero);
	if (!cur || *cur == target)
		return;
	*cur = target;
	scx_bpf_cpuperf_set(cpu, target);
	stat_inc(GAMER_STAT_CPUPERF_SETS);
}

/*
 * Whether this CPU may move p into its local DSQ. The kernel aborts the scheduler when a task
 * whose migration is disabled is moved to another CPU than its own: test that first, as
 * p->cpus_ptr may not say so yet (see task_can_run_on_remote_rq()).
 */
static bool can_move_here(const struct task_struct *p, s32 cpu)
{
	if (bpf_core_field_exists(p->migration_disabled) && p->migration_disabled &&
	    scx_bpf_task_cpu(p) != cpu)
		return false;
	return bpf_cpumask_test_cpu(cpu, p->cpus_ptr);
}

/* Moves here a task of dsq that may run here and has waited longer than GAMER_MAX_WAIT_NS. */
static bool run_overdue_task(u64 dsq, s32 cpu, u64 now)
{
	struct task_struct *p;

	bpf_for_each(scx_dsq, p, dsq, 0) {
		struct task_ctx *tctx = lookup_task_ctx(p);

		/* queued_at may come from another CPU's clock, a hair ahead of ours */
		if (!tctx || !time_before(tctx->queued_at + GAMER_MAX_WAIT_NS, now) ||
		    !can_move_here(p, cpu))
			continue; /* tasks this CPU may not take: their own CPUs find them */
		if (scx_bpf_dsq_move(BPF_FOR_EACH_ITER, p, SCX_DSQ_LOCAL, 0))
			return true;
	}
	return false;
}

/*
 * Every GAMER_OVERDUE_SCAN_NS: a task that waited too long in a shared DSQ, moved here. Every
 * domain's queues, this CPU's own first: whatever else happens, no task is stranded in a domain
 * whose CPUs cannot or do not take it.
 */
static bool dispatch_overdue(struct cpu_ctx *cctx, s32 cpu, u32 dom, u64 now)
{
	u32 i, l;

	if (now - cctx->overdue_scan_at < GAMER_OVERDUE_SCAN_NS)
		return false;
	cctx->overdue_scan_at = now;
	bpf_for(i, 0, nr_llcs) {
		l = (dom + i) % nr_llcs;
		if (run_overdue_task(GAME_DSQ(l), cpu, now) ||
		    run_overdue_task(BG_DSQ(l), cpu, now))
			return true;
	}
	return false;
}

/* How many tasks of another domain's game queue a CPU looks at for one to take. */
#define GAMER_STEAL_SCAN 8

/*
 * A game thread from another domain's game queue that has waited there longer than
 * GAMER_STEAL_DELAY_NS and may run here, moved here: its own domain had no CPU for it.
 */
static bool steal_game_thread(s32 cpu, u32 dom, u64 now)
{
	struct task_struct *p;
	u32 i, seen;

	bpf_for(i, 1, nr_llcs) {
		seen = 0;
		bpf_for_each(scx_dsq, p, GAME_DSQ((dom + i) % nr_llcs), 0) {
			struct task_ctx *tctx = lookup_task_ctx(p);

			if (++seen > GAMER_STEAL_SCAN)
				break;
			if (!tctx || !time_before(tctx->queued_at + GAMER_STEAL_DELAY_NS, now) ||
			    !can_move_here(p, cpu))
				continue;
			if (scx_bpf_dsq_move(BPF_FOR_EACH_ITER, p, SCX_DSQ_LOCAL, 0))
				return true;
		}
	}
	return false;
}

/* Background work from another domain's queue: this CPU has nothing of its own to run. */
static bool steal_background(u32 dom)
{
	u32 i;

	bpf_for(i, 1, nr_llcs) {
		if (scx_bpf_dsq_move_to_local(BG_DSQ((dom + i) % nr_llcs)))
			return true;
	}
	return false;
}

void GAMER_OP(gamer_dispatch, s32 cpu, struct task_struct *prev)
{
	struct cpu_ctx *cctx = this_cpu_ctx();
	u32 dom = llc_of(cpu);
	struct task_ctx *tctx;
	u64 now = scx_bpf_now();

	if (!cctx)
		return;
#ifdef SCX_GAMER_TEST_HOOKS
	if (READ_ONCE(test_inject_error)) {
		scx_bpf_error("injected");
		return;
	}
#endif
	if (dispatch_overdue(cctx, cpu, dom, now)) {
		cctx->guarded = 1;
		stat_inc(GAMER_STAT_OVERDUE_RUN);
		stat_inc(GAMER_STAT_DISPATCHED);
		return;
	}
	if (background_starving(cctx, dom, now) && scx_bpf_dsq_move_to_local(BG_DSQ(dom))) {
		cctx->guarded = 1;
		stat_inc(GAMER_STAT_BG_STARVE_GUARD);
		stat_inc(GAMER_STAT_DISPATCHED);
		return;
	}
	/* guarded: a game thread waking meanwhile must not preempt what the floor gave */
	if (background_below_floor(cctx) && scx_bpf_dsq_move_to_local(BG_DSQ(dom))) {
		cctx->guarded = 1;
		stat_inc(GAMER_STAT_BG_FLOOR);
		stat_inc(GAMER_STAT_DISPATCHED);
		return;
	}
	/* Own domain first, where caches are warm; then what other domains leave waiting. */
	if (scx_bpf_dsq_move_to_local(GAME_DSQ(dom))) {
		background_passed_over(cctx, dom, now);
		stat_inc(GAMER_STAT_DISPATCHED);
		return;
	}
	if (nr_llcs > 1 && steal_game_thread(cpu, dom, now)) {
		background_passed_over(cctx, dom, now);
		stat_inc(GAMER_STAT_LLC_STEALS);
		stat_inc(GAMER_STAT_DISPATCHED);
		return;
	}
	background_served(cctx);
	if (scx_bpf_dsq_move_to_local(BG_DSQ(dom))) {
		stat_inc(GAMER_STAT_DISPATCHED);
		return;
	}
	if (nr_llcs > 1 && steal_background(dom)) {
		stat_inc(GAMER_STAT_LLC_STEALS);
		stat_inc(GAMER_STAT_DISPATCHED);
		return;
	}

	/*
	 * Nothing is waiting for this CPU: let the previous task run on with a fresh slice rather
	 * than have it go through ops.enqueue() and straight back. Without one, the CPU goes idle.
	 */
	if (prev && (prev->scx.flags & GAMER_ENUM(enum scx_ent_flags, SCX_TASK_QUEUED))) {
		tctx = lookup_task_ctx(prev);
		scx_bpf_task_set_slice(prev, task_slice(tctx && ctx_is_urgent(tctx)));
		return;
	}
	set_cpu_perf(cpu, cctx, false, true);
}

/*
 * A real-time, deadline or stop-class task takes this CPU from sched_ext. Tasks waiting in its
 * local DSQ (a background task it preempted goes back there, at the head) would wait for as long
 * as that task runs, invisible to the other CPUs: hand them back to ops.enqueue(), with
 * SCX_ENQ_REENQ, into the shared DSQs (scx issue #1504).
 */
void GAMER_OP(gamer_cpu_release, s32 cpu, struct scx_cpu_release_args *args)
{
	scx_bpf_reenqueue_local();
}

void GAMER_OP(gamer_runnable, struct task_struct *p, u64 enq_flags)
{
	struct task_ctx *tctx = lookup_task_ctx(p);

	if (!tctx)
		return;
	task_is_game(p, tctx);
	tctx->exec_runtime = 0;
	if (enq_flags & GAMER_ENUM(enum scx_enq_flags, SCX_ENQ_WAKEUP))
		tctx->woke_at = scx_bpf_now();
	if (enq_flags & GAMER_ENUM(enum scx_enq_flags, SCX_ENQ_WAKEUP))
		note_game_waker(p, tctx);
}

/* floor(log2(v)) for v > 0. */
static u32 log2_u64(u64 v)
{
	u32 r = 0;

	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	return r + (v >> 1);
}

static void record_wakeup_latency(u64 ns)
{
	const u64 linear_ns = GAMER_LAT_LINEAR * GAMER_LAT_BUCKET_NS;
	u32 bucket;
	u64 *cnt;

	if (ns < linear_ns)
		bucket = ns / GAMER_LAT_BUCKET_NS;
	else
		bucket = GAMER_LAT_LINEAR + log2_u64(ns / linear_ns);
	if (bucket >= GAMER_LAT_BUCKETS)
		bucket = GAMER_LAT_BUCKETS - 1;

	cnt = bpf_map_lookup_elem(&lat_hist, &bucket);
	if (cnt)
		(*cnt)++;
	stat_inc(GAMER_STAT_GAME_WAKEUPS);
}

void GAMER_OP(gamer_running, struct task_struct *p)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	struct cpu_ctx *cctx = this_cpu_ctx();
	s32 cpu = bpf_get_smp_processor_id();
	u64 now = scx_bpf_now();
	bool urgent;

	if (!tctx || !cctx)
		return;

	tctx->started_at = now;
	if (time_before(vtime_now, tctx->vtime))
		vtime_now = tctx->vtime;
	if (tctx->last_cpu != cpu) {
		if (tctx->last_cpu >= 0) {
			stat_inc(GAMER_STAT_MIGRATIONS);
			if (tctx->is_game && llc_of(tctx->last_cpu) != llc_of(cpu))
				stat_inc(GAMER_STAT_GAME_LLC_MIGRATIONS);
		}
		tctx->last_cpu = cpu;
	}

	urgent = ctx_is_urgent(tctx);
	cctx->no_preempt = urgent || cctx->guarded;
	cctx->guarded = 0;
	if (!urgent)
		background_served(cctx);

	/*
	 * The time since the CPU's last event (idle, mostly) counts into its utilization. Only when
	 * p starts on this CPU: a task's policy or affinity change runs this for a task on another
	 * CPU, whose runqueue is the one locked, and the kernel refuses a performance target for
	 * any CPU but the locked one.
	 */
	if (scx_bpf_task_cpu(p) == cpu) {
		account_cpu_time(cctx, urgent, 0, now);
		cctx->charged_at = now;
		cctx->started_at = now;
		WRITE_ONCE(cctx->bg_running, !urgent);
		set_cpu_perf(cpu, cctx, tctx->is_game, false);
	}

	if (tctx->is_game && tctx->woke_at)
		/* The wakeup may have been stamped by another CPU's clock, a hair ahead. */
		record_wakeup_latency(time_before(tctx->woke_at, now) ? now - tctx->woke_at : 0);
	tctx->woke_at = 0;
}

/* Run time of this CPU's current task not yet charged to the CPU (see gamer_tick()). */
static u64 uncharged_run(struct cpu_ctx *cctx, const struct task_ctx *tctx, u64 now)
{
	u64 from = max_u64(cctx->charged_at, tctx->started_at);

	cctx->charged_at = now;
	return time_before(from, now) ? now - from : 0;
}

void GAMER_OP(gamer_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	struct cpu_ctx *cctx = this_cpu_ctx();
	u64 now = scx_bpf_now(), ran;

	if (!tctx)
		return;
	ran = time_before(tctx->started_at, now) ? now - tctx->started_at : 0;
	tctx->exec_runtime += ran;
	tctx->vtime += scale_by_weight_inverse(p, ran);
	/* ops.stopping() runs on the CPU p ran on: charge that CPU */
	if (cctx) {
		account_cpu_time(cctx, ctx_is_urgent(tctx), uncharged_run(cctx, tctx, now), now);
		WRITE_ONCE(cctx->bg_running, 0);
	}
	if (tctx->wake_boost) {
		tctx->boost_ns += ran;
		if (!runnable || tctx->boost_ns >= READ_ONCE(tunables.slice_ns))
			tctx->wake_boost = false;
	}
}

/*
 * Every scheduler tick while p runs here (none while the CPU idles): charge the CPU for the time
 * so far, so that the utilization and the floor see a task that keeps its CPU for long, and
 * follow the CPU's performance target with it.
 */
void GAMER_OP(gamer_tick, struct task_struct *p)
{
	struct task_ctx *tctx = lookup_task_ctx(p);
	struct cpu_ctx *cctx = this_cpu_ctx();
	u64 now = scx_bpf_now();

	if (!tctx || !cctx)
		return;
	account_cpu_time(cctx, ctx_is_urgent(tctx), uncharged_run(cctx, tctx, now), now);
	set_cpu_perf(bpf_get_smp_processor_id(), cctx, tctx->is_game, false);
}

void GAMER_OP(gamer_enable, struct task_struct *p)
{
	struct task_ctx *tctx = lookup_task_ctx(p);

	/* A task new to the scheduler starts at the current virtual time: no debt, no credit. */
	if (tctx)
		tctx->vtime = vtime_now;
}

s32 GAMER_OP_SLEEPABLE(gamer_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	struct task_ctx *tctx;

	tctx = bpf_task_storage_get(&task_ctxs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tctx)
		return -ENOMEM;
	tctx->last_cpu = -1;
	tctx->game_gen = ~0ULL; /* no generation yet: the first use looks game_tgids up */
	tctx->is_daemon = daemon_tgid && p->tgid == daemon_tgid; /* a thread keeps its tgid */
	return 0;
}

/*
 * Kicks as many idle CPUs as there are queued tasks. Idle CPUs are kicked at enqueue time
 * already; this catches what that misses: a kick that raced with the CPU going idle, or a task
 * whose affinity excludes the CPUs that were kicked.
 */
static s32 shared_queued(void)
{
	s32 queued = 0;
	u32 l;

	bpf_for(l, 0, nr_llcs)
		queued += scx_bpf_dsq_nr_queued(GAME_DSQ(l)) + scx_bpf_dsq_nr_queued(BG_DSQ(l));
	return queued;
}

static void kick_idle_cpus_for_queued_work(void)
{
	s32 queued = shared_queued();
	const struct cpumask *idle;
	struct bpf_iter_num it;
	int *cpu;

	if (queued <= 0)
		return;

	idle = scx_bpf_get_idle_cpumask();
	bpf_iter_num_new(&it, 0, nr_cpus);
	while (queued > 0 && (cpu = bpf_iter_num_next(&it))) {
		if (!bpf_cpumask_test_cpu(*cpu, idle))
			continue;
		scx_bpf_kick_cpu(*cpu, SCX_KICK_IDLE);
		stat_inc(GAMER_STAT_KICKS);
		queued--;
	}
	bpf_iter_num_destroy(&it);
	scx_bpf_put_idle_cpumask(idle);
}

/*
 * Re-arms itself with the period in force now, so profile changes apply from the next tick;
 * stops when nothing waits (see wakeup_timer_stopped).
 */
static int wakeup_timer_fn(void *map, int *key, struct bpf_timer *timer)
{
	stat_inc(GAMER_STAT_WAKEUP_TIMER_RUNS);
	if (shared_queued() <= 0) {
		/* Stopped first, then a second look: an insertion in between restarts us here. */
		__sync_lock_test_and_set(&wakeup_timer_stopped, 1);
		if (shared_queued() <= 0 ||
		    !__sync_bool_compare_and_swap(&wakeup_timer_stopped, 1, 0))
			return 0;
	}
	if (READ_ONCE(tunables.wakeup_timer_ns))
		kick_idle_cpus_for_queued_work();
	bpf_timer_start(timer, wakeup_timer_period(), 0);
	return 0;
}

static s32 start_wakeup_timer(void)
{
	struct bpf_timer *timer = lookup_wakeup_timer();
	s32 ret;

	if (!timer)
		return -ENOENT;
	/* -EBUSY: initialized by an earlier attachment of this same loaded object. */
	ret = bpf_timer_init(timer, &wakeup_timer, CLOCK_MONOTONIC);
	if (ret && ret != -EBUSY)
		return ret;
	ret = bpf_timer_set_callback(timer, wakeup_timer_fn);
	if (ret)
		return ret;
	WRITE_ONCE(wakeup_timer_stopped, 0);
	return bpf_timer_start(timer, WAKEUP_TIMER_PAUSED_NS, 0);
}

static s32 init_primary_domain(void)
{
	struct bpf_cpumask *mask;
	struct bpf_iter_num it;
	int *i;
	u32 cpu;

	mask = bpf_cpumask_create();
	if (!mask)
		return -ENOMEM;

	bpf_iter_num_new(&it, 0, nr_cpus);
	while ((i = bpf_iter_num_next(&it))) {
		cpu = *i;
		if (cpu >= GAMER_MAX_CPUS)
			break;
		if (primary_cpus[cpu / 64] & (1ULL << (cpu % 64)))
			bpf_cpumask_set_cpu(cpu, mask);
	}
	bpf_iter_num_destroy(&it);

	mask = bpf_kptr_xchg(&primary_cpumask, mask);
	if (mask)
		bpf_cpumask_release(mask);
	return 0;
}

/*
 * The cache domains' CPU lists and masks, from cpu_llc: llc_first[] by counting the CPUs of each
 * domain, then llc_cpus[] filled domain by domain in CPU order.
 */
static s32 init_llcs(void)
{
	u32 cpu, l, pos, n = min_u64(nr_cpus, GAMER_MAX_CPUS);
	struct bpf_cpumask *mask;
	struct llc_mask *m;

	/* from scratch: an attachment after a detach runs this again on the same object */
	bpf_for(l, 0, GAMER_MAX_LLCS + 1)
		llc_first[LLC_IDX(l)] = 0;
	bpf_for(cpu, 0, n) {
		l = llc_of(cpu);
		llc_first[LLC_IDX(l + 1)]++;
	}
	bpf_for(l, 0, GAMER_MAX_LLCS)
		llc_first[LLC_IDX(l + 1)] += llc_first[LLC_IDX(l)];
	bpf_for(l, 0, nr_llcs) {
		if (l >= GAMER_MAX_LLCS)
			break;
		mask = bpf_cpumask_create();
		if (!mask)
			return -ENOMEM;
		pos = llc_first[LLC_IDX(l)];
		bpf_for(cpu, 0, n) {
			if (llc_of(cpu) != l)
				continue;
			bpf_cpumask_set_cpu(cpu, mask);
			if (pos < GAMER_MAX_CPUS)
				llc_cpus[CPU_IDX(pos++)] = cpu;
		}
		m = bpf_map_lookup_elem(&llc_masks, &l);
		if (!m) {
			bpf_cpumask_release(mask);
			return -ENOENT;
		}
		mask = bpf_kptr_xchg(&m->cpus, mask);
		if (mask)
			bpf_cpumask_release(mask);
	}
	return 0;
}

/* cpu_perf starts where the kernel puts every CPU when a scheduler attaches: full speed. */
static void init_cpu_perf(void)
{
	struct bpf_iter_num it;
	u32 zero = 0;
	u64 *cur;
	int *i;

	bpf_iter_num_new(&it, 0, nr_cpus);
	while ((i = bpf_iter_num_next(&it))) {
		cur = bpf_map_lookup_percpu_elem(&cpu_perf, &zero, *i);
		if (cur)
			*cur = GAMER_CPUPERF_ONE;
	}
	bpf_iter_num_destroy(&it);
}

s32 GAMER_OP_SLEEPABLE(gamer_init)
{
	s32 ret;

	u32 l;

	bpf_for(l, 0, nr_llcs) {
		ret = scx_bpf_create_dsq(GAME_DSQ(l), -1);
		if (ret)
			return ret;
		ret = scx_bpf_create_dsq(BG_DSQ(l), -1);
		if (ret)
			return ret;
	}
	ret = init_llcs();
	if (ret)
		return ret;
#ifdef SCX_GAMER_TEST_HOOKS
	ret = scx_bpf_create_dsq(STALL_DSQ, -1);
	if (ret)
		return ret;
#endif
	if (!primary_all) {
		ret = init_primary_domain();
		if (ret)
			return ret;
	}
	init_cpu_perf();
	return start_wakeup_timer();
}

void GAMER_OP(gamer_exit, struct scx_exit_info *ei)
{
	struct bpf_timer *timer = lookup_wakeup_timer();
	struct gamer_exit_event *ev;

	/* The map outlives the attachment: stop the timer with the scheduler. */
	if (timer)
		bpf_timer_cancel(timer);

	exit_info.exit_code = ei->exit_code;
	bpf_probe_read_kernel_str(exit_info.reason, sizeof(exit_info.reason), ei->reason);
	bpf_probe_read_kernel_str(exit_info.msg, sizeof(exit_info.msg), ei->msg);
	/* Last, so that whoever sees a kind also sees the rest. */
	exit_info.kind = ei->kind;

	ev = bpf_ringbuf_reserve(&exit_events, sizeof(*ev), 0);
	if (!ev)
		return;
	ev->kind = ei->kind;
	ev->pad = 0;
	ev->exit_code = ei->exit_code;
	bpf_ringbuf_submit(ev, 0);
}

void GAMER_OP(gamer_dump, struct scx_dump_ctx *dctx)
{
	u32 l;

	bpf_for(l, 0, nr_llcs)
		scx_bpf_dump("gamer: domain %u queued game=%d background=%d", l,
			     scx_bpf_dsq_nr_queued(GAME_DSQ(l)), scx_bpf_dsq_nr_queued(BG_DSQ(l)));
	scx_bpf_dump("gamer: vtime_now=%llu game_gen=%llu", vtime_now, READ_ONCE(game_gen));
}

/*
 * ops.flags is left to the loader: it sets the flags the running kernel knows (from its BTF),
 * since a kernel refuses the whole table for a single flag it does not know.
 */
GAMER_OPS_DEFINE(gamer_ops, .select_cpu = (void *)gamer_select_cpu,
		 .enqueue = (void *)gamer_enqueue, .dispatch = (void *)gamer_dispatch,
		 .runnable = (void *)gamer_runnable, .running = (void *)gamer_running,
		 .stopping = (void *)gamer_stopping, .tick = (void *)gamer_tick,
		 .cpu_release = (void *)gamer_cpu_release, .enable = (void *)gamer_enable,
		 .init_task = (void *)gamer_init_task, .init = (void *)gamer_init,
		 .exit = (void *)gamer_exit, .dump = (void *)gamer_dump,
		 .timeout_ms = GAMER_TIMEOUT_MS, .name = GAMER_OPS_NAME);
