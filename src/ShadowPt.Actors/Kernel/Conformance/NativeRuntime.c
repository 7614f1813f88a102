/*
 * ShadowPt conformance runtime: the fixed half of every native conformance program.
 *
 * NativeProgramGenerator replaces the TABLES marker below with the program's tables (numbers and
 * label identifiers it formatted and checked itself); nothing else varies between programs.
 *
 * The processes of a program take strict turns: a turn is executing one step or recording what
 * one process sees after a step. A 4-byte token (the index of the next turn) travels through one
 * pipe per process, so output lines reach stdout in turn order and no two turns overlap.
 *
 * Fault counting. A step's minor faults are getrusage(RUSAGE_SELF).ru_minflt after the operation
 * minus before it, with raw system calls on x86-64 so that no libc code runs inside the window.
 * Everything the window writes (the state block g, the signal stack, the stack) is written just
 * before the window, so the copy-on-write breaks that fork leaves behind never land inside it, and
 * the read-only segments of every loaded object are populated after start and after fork. glibc's
 * rseq area is disabled by the runner (GLIBC_TUNABLES), because the kernel writes it on return
 * to user and that write could fault on a page shared with a child.
 *
 * Nothing here may hang: every wait polls with a bound, a watchdog alarm kills every process,
 * and a child dies with its parent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

enum op_kind {
	OP_MMAP = 1,
	OP_MUNMAP,
	OP_MPROTECT,
	OP_READ,
	OP_WRITE,
	OP_FORK,
	OP_EXIT,
	OP_DONTNEED,
	OP_MLOCK,
	OP_MUNLOCK,
	OP_PAGEOUT,
	OP_CLEAR_REFS,
};

/* One step of the program. offset_pages is relative to the label's address. */
struct op {
	int kind;
	int proc;
	int label;
	int child;
	long offset_pages;
	long pages;
	int prot;
	int flags;
	int value;
};

/* observe == 0: proc executes the step; observe == 1: proc records the labels in the mask. */
struct turn {
	int step;
	int proc;
	int observe;
	unsigned labels;
};

/* @@TABLES@@ */

#define PAGE_BYTES 4096L
#define OUT_BYTES_MAX (256 * 1024)
#define MAPS_BYTES_MAX (512 * 1024)
#define PAGEMAP_ENTRIES_MAX 256
#define STACK_PREFAULT_BYTES (64 * 1024)
#define ALTSTACK_BYTES (64 * 1024)
#define TOKEN_WAIT_MS 10000
#define REAP_POLLS_MAX 10000
#define REAP_POLL_NS 1000000L
#define EINTR_RETRIES_MAX 1000
#define PHDRS_MAX 64
#define PAGES_TOUCHED_MAX (1L << 20)
#define WATCHDOG_S 60
#define FATAL_EXIT 3
#define TOKEN_FINISH (-1)
#define TOKEN_QUIT (-2)

/*
 * Everything the measured window writes. Page aligned and rewritten by prefault() before each
 * window.
 */
static struct window_state {
	sigjmp_buf env;
	sigjmp_buf warm;
	struct rusage before;
	struct rusage after;
	volatile sig_atomic_t armed;
	volatile sig_atomic_t signal;
	int value;
	long result;
	long faults;
	int executed_step;
	char clear_refs_value;
} g __attribute__((aligned(4096)));

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

/* /proc/self/clear_refs of this process, opened before an OP_CLEAR_REFS window so the window only writes. */
static int clear_refs_fd = -1;

static unsigned char altstack[ALTSTACK_BYTES] __attribute__((aligned(4096)));
static long label_addr[LABEL_COUNT + 1];
static int token_pipe[PROC_MAX][2];
static pid_t child_pid[PROC_MAX];
static pid_t root_pid;
static int me;
static char out[OUT_BYTES_MAX];
static size_t out_len;
static char maps[MAPS_BYTES_MAX];
static uint64_t pagemap[PAGEMAP_ENTRIES_MAX];

#if defined(__x86_64__)
static inline long raw_syscall(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#else
/* Other architectures go through libc: correct, but a libc page may fault inside a window. */
static inline long raw_syscall(long n, long a, long b, long c, long d, long e, long f)
{
	long ret = syscall(n, a, b, c, d, e, f);
	return ret == -1 ? -errno : ret;
}
#endif

static void write_all(const char *buf, size_t len)
{
	size_t done = 0;
	for (int i = 0; done < len && i < EINTR_RETRIES_MAX; i++) {
		ssize_t n = write(1, buf + done, len - done);
		if (n > 0)
			done += (size_t)n;
		else if (n < 0 && errno != EINTR)
			break;
	}
	if (done != len)
		_exit(FATAL_EXIT);
}

static void fatal(const char *what, long detail)
{
	char line[160];
	int n = snprintf(line, sizeof line, "X %d %s %ld\n", me, what, detail);
	if (n > 0)
		write_all(line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
	if (getpid() != root_pid)
		kill(root_pid, SIGKILL);
	_exit(FATAL_EXIT);
}

static void out_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out + out_len, sizeof out - out_len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof out - out_len)
		fatal("output-overflow", (long)out_len);
	out_len += (size_t)n;
}

static void on_fault_signal(int sig)
{
	static const char msg[] = "X -1 unexpected-signal 0\n";
	if (g.armed) {
		g.armed = 0;
		g.signal = sig;
		siglongjmp(g.env, 1);
	}
	(void)!write(1, msg, sizeof msg - 1);
	_exit(FATAL_EXIT);
}

static void install_signal_handlers(void)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fault_signal;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	if (sigaltstack(&ss, NULL) != 0)
		fatal("sigaltstack", errno);
	if (sigaction(SIGSEGV, &sa, NULL) != 0 || sigaction(SIGBUS, &sa, NULL) != 0)
		fatal("sigaction", errno);
}

/* Reads one page of [start, end) after another: the fallback where MADV_POPULATE_READ is refused. */
static void touch_pages(uintptr_t start, uintptr_t end)
{
	long pages = 0;
	for (uintptr_t a = start; a < end && pages < PAGES_TOUCHED_MAX; a += PAGE_BYTES, pages++)
		(void)*(volatile const unsigned char *)a;
}

static int populate_object(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	for (int i = 0; i < info->dlpi_phnum && i < PHDRS_MAX; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) || !(ph->p_flags & PF_R))
			continue;
		uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(uintptr_t)(PAGE_BYTES - 1);
		uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + PAGE_BYTES - 1) &
				~(uintptr_t)(PAGE_BYTES - 1);
		if (madvise((void *)start, end - start, MADV_POPULATE_READ) != 0)
			touch_pages(start, end);
	}
	return 0;
}

/* Maps the text and read-only data of every object, so executing code never faults in a window. */
static void populate_text(void)
{
	dl_iterate_phdr(populate_object, NULL);
}

static __attribute__((noinline)) void prefault_stack(void)
{
	volatile unsigned char buf[STACK_PREFAULT_BYTES];
	for (long i = 0; i < STACK_PREFAULT_BYTES; i += PAGE_BYTES)
		buf[i] = 0;
	buf[STACK_PREFAULT_BYTES - 1] = buf[0];
}

/* Writes every page the next window may write, so that no fault of ours is counted in it. */
static void prefault(void)
{
	volatile unsigned char *p = (volatile unsigned char *)&g;
	for (size_t i = 0; i < sizeof g; i += PAGE_BYTES)
		p[i] = p[i];
	p[sizeof g - 1] = p[sizeof g - 1];
	for (size_t i = 0; i < sizeof altstack; i += PAGE_BYTES)
		altstack[i] = 0;
	prefault_stack();
	if (sigsetjmp(g.warm, 1) == 0)
		siglongjmp(g.warm, 1);
	raw_syscall(SYS_getrusage, RUSAGE_SELF, (long)&g.before, 0, 0, 0, 0);
	raw_syscall(SYS_getrusage, RUSAGE_SELF, (long)&g.after, 0, 0, 0, 0);
}

static void send_token(int to, int value)
{
	ssize_t n = -1;
	for (int i = 0; i < EINTR_RETRIES_MAX; i++) {
		n = write(token_pipe[to][1], &value, sizeof value);
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (n != (ssize_t)sizeof value)
		fatal("token-write", to);
}

static void wait_token(int expected)
{
	struct pollfd pfd = { .fd = token_pipe[me][0], .events = POLLIN, .revents = 0 };
	int r = -1;
	for (int i = 0; i < EINTR_RETRIES_MAX; i++) {
		r = poll(&pfd, 1, TOKEN_WAIT_MS);
		if (r >= 0 || errno != EINTR)
			break;
	}
	if (r == 0)
		fatal("token-timeout", expected);
	if (r < 0)
		fatal("token-poll", errno);
	int value = 0;
	ssize_t n = read(token_pipe[me][0], &value, sizeof value);
	if (n != (ssize_t)sizeof value)
		fatal("token-read", (long)n);
	if (value != expected)
		fatal("token-mismatch", value);
}

/* Waits, bounded, until child has exited; its mm is torn down before it becomes a zombie. */
static void reap(int child)
{
	struct timespec pause = { .tv_sec = 0, .tv_nsec = REAP_POLL_NS };
	for (int i = 0; i < REAP_POLLS_MAX; i++) {
		int status = 0;
		pid_t r = waitpid(child_pid[child], &status, WNOHANG);
		if (r == child_pid[child]) {
			if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
				fatal("child-failed", status);
			child_pid[child] = 0;
			return;
		}
		if (r < 0 && errno != EINTR)
			fatal("waitpid", errno);
		nanosleep(&pause, NULL);
	}
	fatal("reap-timeout", child);
}

static void read_maps(size_t *len)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fatal("open-maps", errno);
	size_t done = 0;
	for (int i = 0; i < EINTR_RETRIES_MAX; i++) {
		if (done == sizeof maps - 1)
			fatal("maps-too-large", (long)done);
		ssize_t n = read(fd, maps + done, sizeof maps - 1 - done);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fatal("read-maps", errno);
		done += (size_t)n;
	}
	close(fd);
	maps[done] = '\0';
	*len = done;
}

static void observe_vmas(int label, size_t maps_len)
{
	unsigned long lo = (unsigned long)(label_addr[label] + LABEL_LO[label] * PAGE_BYTES);
	unsigned long hi = (unsigned long)(label_addr[label] + LABEL_HI[label] * PAGE_BYTES);
	const char *p = maps;
	const char *end = maps + maps_len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			eol = end;
		unsigned long start = 0, stop = 0;
		char perms[5] = { 0 };
		if (sscanf(p, "%lx-%lx %4s", &start, &stop, perms) == 3 && start < hi && stop > lo)
			out_printf("V %d %lx %lx %s\n", label, start, stop, perms);
		p = eol + 1;
	}
}

static void observe_pages(int label)
{
	long count = LABEL_HI[label] - LABEL_LO[label];
	if (count <= 0 || count > PAGEMAP_ENTRIES_MAX)
		fatal("pagemap-range", count);
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fatal("open-pagemap", errno);
	unsigned long first = (unsigned long)(label_addr[label] + LABEL_LO[label] * PAGE_BYTES);
	off_t pos = (off_t)(first / PAGE_BYTES) * (off_t)sizeof(uint64_t);
	ssize_t want = (ssize_t)(count * (long)sizeof(uint64_t));
	ssize_t n = pread(fd, pagemap, (size_t)want, pos);
	close(fd);
	if (n != want)
		fatal("read-pagemap", (long)n);
	for (long i = 0; i < count; i++)
		out_printf("P %d %ld %llx\n", label, LABEL_LO[label] + i, (unsigned long long)pagemap[i]);
}

static void observe(const struct turn *t)
{
	out_len = 0;
	out_printf("S %d %d\n", t->step, me);
	if (g.executed_step == t->step) {
		if (g.faults < 0)
			out_printf("F -\n");
		else
			out_printf("F %ld\n", g.faults);
		out_printf("G %d\n", (int)g.signal);
		out_printf("R %d\n", g.value);
		out_printf("E %ld\n", g.result < 0 ? -g.result : 0L);
		g.executed_step = -1;
	}
	size_t maps_len = 0;
	read_maps(&maps_len);
	for (int label = 0; label < LABEL_COUNT; label++) {
		if (!(t->labels & (1u << label)))
			continue;
		observe_vmas(label, maps_len);
		observe_pages(label);
	}
	out_printf("Z\n");
	write_all(out, out_len);
}

/* Runs the operation between the two getrusage calls. Called with g prefaulted. */
static void run_window(const struct op *o, long addr, long len)
{
	if (sigsetjmp(g.env, 1) == 0) {
		g.armed = 1;
		raw_syscall(SYS_getrusage, RUSAGE_SELF, (long)&g.before, 0, 0, 0, 0);
		switch (o->kind) {
		case OP_READ:
			g.value = *(volatile unsigned char *)addr;
			break;
		case OP_WRITE:
			*(volatile unsigned char *)addr = (unsigned char)o->value;
			break;
		case OP_MMAP:
			g.result = raw_syscall(SYS_mmap, addr, len, o->prot, o->flags | MAP_FIXED_NOREPLACE, -1, 0);
			if (g.result == addr)
				g.result = raw_syscall(SYS_madvise, addr, len, MADV_NOHUGEPAGE, 0, 0, 0);
			break;
		case OP_MUNMAP:
			g.result = raw_syscall(SYS_munmap, addr, len, 0, 0, 0, 0);
			break;
		case OP_MPROTECT:
			g.result = raw_syscall(SYS_mprotect, addr, len, o->prot, 0, 0, 0);
			break;
		case OP_DONTNEED:
			g.result = raw_syscall(SYS_madvise, addr, len, MADV_DONTNEED, 0, 0, 0);
			break;
		case OP_MLOCK:
			g.result = raw_syscall(SYS_mlock, addr, len, 0, 0, 0, 0);
			break;
		case OP_MUNLOCK:
			g.result = raw_syscall(SYS_munlock, addr, len, 0, 0, 0, 0);
			break;
		case OP_PAGEOUT:
			g.result = raw_syscall(SYS_madvise, addr, len, MADV_PAGEOUT, 0, 0, 0);
			break;
		case OP_CLEAR_REFS:
			g.result = raw_syscall(SYS_write, clear_refs_fd, (long)&g.clear_refs_value, 1, 0, 0, 0);
			g.result = g.result == 1 ? 0 : g.result;
			break;
		default:
			g.armed = 0;
			fatal("bad-op", o->kind);
		}
		raw_syscall(SYS_getrusage, RUSAGE_SELF, (long)&g.after, 0, 0, 0, 0);
		g.armed = 0;
	} else {
		raw_syscall(SYS_getrusage, RUSAGE_SELF, (long)&g.after, 0, 0, 0, 0);
	}
	g.faults = g.after.ru_minflt - g.before.ru_minflt;
}

/* Returns 1 in a child that fork() just created: that process skips to its own first turn. */
static int do_fork(int child)
{
	pid_t pid = fork();
	if (pid < 0)
		fatal("fork", errno);
	if (pid > 0) {
		child_pid[child] = pid;
		return 0;
	}
	me = child;
	g.executed_step = -1;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != root_pid)
		_exit(FATAL_EXIT);
	alarm(WATCHDOG_S);
	populate_text();
	return 1;
}

static int execute(int t)
{
	const struct op o = OPS[TURNS[t].step];
	long addr = label_addr[o.label] + o.offset_pages * PAGE_BYTES;
	long len = o.pages * PAGE_BYTES;
	g.executed_step = TURNS[t].step;
	g.signal = 0;
	g.value = -1;
	g.result = 0;
	g.faults = -1;
	if (o.kind == OP_FORK)
		return do_fork(o.child);
	if (o.kind == OP_EXIT) {
		send_token(TURNS[t + 1].proc, t + 1);
		_exit(0);
	}
	if (o.kind == OP_CLEAR_REFS) {
		clear_refs_fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
		if (clear_refs_fd < 0)
			fatal("clear-refs-open", errno);
	}
	prefault();
	g.clear_refs_value = '4';
	run_window(&o, addr, len);
	if (o.kind == OP_CLEAR_REFS) {
		close(clear_refs_fd);
		clear_refs_fd = -1;
	}
	if (o.kind == OP_MMAP && g.result >= 0 && g.result != 0)
		fatal("mmap-moved", g.result);
	if (g.signal != 0 && o.kind != OP_READ && o.kind != OP_WRITE)
		fatal("signal-in-syscall", g.signal);
	return 0;
}

static void setup(void)
{
	root_pid = getpid();
	alarm(WATCHDOG_S);
	if (sysconf(_SC_PAGESIZE) != PAGE_BYTES)
		fatal("page-size", sysconf(_SC_PAGESIZE));
	for (int p = 0; p < PROC_MAX; p++)
		if (pipe(token_pipe[p]) != 0)
			fatal("pipe", errno);
	install_signal_handlers();
	long arena_bytes = SLOT_STRIDE_BYTES * (LABEL_COUNT + 1);
	long arena = raw_syscall(SYS_mmap, 0, arena_bytes, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena < 0 && arena > -4096)
		fatal("arena", -arena);
	if (raw_syscall(SYS_munmap, arena, arena_bytes, 0, 0, 0, 0) != 0)
		fatal("arena-unmap", 0);
	out_len = 0;
	out_printf("H 1 %ld\n", PAGE_BYTES);
	for (int label = 0; label < LABEL_COUNT; label++) {
		label_addr[label] = arena + label * SLOT_STRIDE_BYTES + SLOT_BASE_OFFSET_BYTES;
		out_printf("L %d %lx\n", label, (unsigned long)label_addr[label]);
	}
	write_all(out, out_len);
	g.executed_step = -1;
	populate_text();
}

int main(void)
{
	setup();
	for (int t = 0; t < TURN_COUNT; t++) {
		if (TURNS[t].proc != me)
			continue;
		if (t > 0 && TURNS[t - 1].proc != me)
			wait_token(t);
		if (!TURNS[t].observe) {
			if (execute(t))
				continue;
		} else {
			if (me == 0 && OPS[TURNS[t].step].kind == OP_EXIT && child_pid[OPS[TURNS[t].step].proc] > 0)
				reap(OPS[TURNS[t].step].proc);
			observe(&TURNS[t]);
		}
		if (t + 1 < TURN_COUNT) {
			if (TURNS[t + 1].proc != me)
				send_token(TURNS[t + 1].proc, t + 1);
		} else if (me != 0) {
			send_token(0, TOKEN_FINISH);
		}
	}
	if (me != 0) {
		wait_token(TOKEN_QUIT);
		_exit(0);
	}
	if (TURN_COUNT > 0 && TURNS[TURN_COUNT - 1].proc != 0)
		wait_token(TOKEN_FINISH);
	for (int c = 1; c < PROC_MAX; c++) {
		if (child_pid[c] > 0) {
			send_token(c, TOKEN_QUIT);
			reap(c);
		}
	}
	write_all("D\n", 2);
	return 0;
}
