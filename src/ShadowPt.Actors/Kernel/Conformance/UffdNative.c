/*
 * ShadowPt conformance: userfaultfd MISSING faults resolved with UFFDIO_COPY and UFFDIO_ZEROPAGE
 * on the real kernel. The main thread reads two pages of a MISSING-registered private anonymous
 * mapping; a monitor thread reads each fault message and resolves page 0 with UFFDIO_COPY of a
 * buffer holding (FILL + i) at byte i and page 1 with UFFDIO_ZEROPAGE. Prints one fact a line:
 *   supported: yes | supported: no <why>
 *   msg N: page P flags F
 *   read P: 0xVV
 *   faults: minflt M majflt J   (the main thread's reads, getrusage(RUSAGE_THREAD))
 *   page P: present|absent exclusive|shared zero|nonzero
 *   byte P+100: 0xVV
 *   copy-again: -errno     (a second UFFDIO_COPY onto page 0: -EEXIST)
 * Made for ShadowPt by UffdConformance; build: gcc -std=gnu11 -O2 -pthread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGE 4096L
#define FILL 0x30
#define MESSAGES 2
#define POLL_MS 10000

static long uffd = -1;
static char *area;
static unsigned char source[PAGE] __attribute__((aligned(4096)));
static struct uffd_msg seen[MESSAGES];

static void *monitor(void *arg)
{
	(void)arg;
	for (int i = 0; i < MESSAGES; i++) {
		struct pollfd p = { .fd = (int)uffd, .events = POLLIN };
		if (poll(&p, 1, POLL_MS) != 1) {
			printf("error: poll timed out\n");
			exit(3);
		}
		if (read((int)uffd, &seen[i], sizeof seen[i]) != sizeof seen[i]) {
			printf("error: read %d\n", errno);
			exit(3);
		}
		unsigned long page = (seen[i].arg.pagefault.address & ~(PAGE - 1)) - (unsigned long)area;
		if (page == 0) {
			struct uffdio_copy c = { .dst = (unsigned long)area, .src = (unsigned long)source, .len = PAGE, .mode = 0 };
			if (ioctl((int)uffd, UFFDIO_COPY, &c) != 0) {
				printf("error: UFFDIO_COPY %d\n", errno);
				exit(3);
			}
		} else {
			struct uffdio_zeropage z = { .range = { .start = (unsigned long)area + PAGE, .len = PAGE }, .mode = 0 };
			if (ioctl((int)uffd, UFFDIO_ZEROPAGE, &z) != 0) {
				printf("error: UFFDIO_ZEROPAGE %d\n", errno);
				exit(3);
			}
		}
	}
	return NULL;
}

static void page_fact(int page, int pagemap)
{
	uint64_t entry = 0;
	off_t at = (off_t)(((unsigned long)area / PAGE) + (unsigned long)page) * 8;
	if (pread(pagemap, &entry, 8, at) != 8) {
		printf("error: pagemap %d\n", errno);
		exit(3);
	}
	int present = (int)((entry >> 63) & 1);
	int exclusive = (int)((entry >> 56) & 1);
	printf("page %d: %s %s\n", page, present ? "present" : "absent", exclusive ? "exclusive" : "shared");
}

int main(void)
{
	for (long i = 0; i < PAGE; i++)
		source[i] = (unsigned char)(FILL + i);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0) {
		printf("supported: no userfaultfd() failed with errno %d\n", errno);
		return 0;
	}
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };
	if (ioctl((int)uffd, UFFDIO_API, &api) != 0) {
		printf("supported: no UFFDIO_API failed with errno %d\n", errno);
		return 0;
	}
	area = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || madvise(area, 2 * PAGE, MADV_NOHUGEPAGE) != 0) {
		printf("error: mmap %d\n", errno);
		return 3;
	}
	struct uffdio_register reg = { .range = { .start = (unsigned long)area, .len = 2 * PAGE }, .mode = UFFDIO_REGISTER_MODE_MISSING };
	if (ioctl((int)uffd, UFFDIO_REGISTER, &reg) != 0) {
		printf("supported: no UFFDIO_REGISTER failed with errno %d\n", errno);
		return 0;
	}
	printf("supported: yes\n");
	pthread_t thread;
	if (pthread_create(&thread, NULL, monitor, NULL) != 0) {
		printf("error: pthread_create\n");
		return 3;
	}
	unsigned char value[2];
	long minflt = 0, majflt = 0;
	for (int page = 0; page < 2; page++) {
		struct rusage before, after;
		getrusage(RUSAGE_THREAD, &before);
		value[page] = *(volatile unsigned char *)(area + page * PAGE);
		getrusage(RUSAGE_THREAD, &after);
		minflt += after.ru_minflt - before.ru_minflt;
		majflt += after.ru_majflt - before.ru_majflt;
		printf("read %d: 0x%02x\n", page, value[page]);
	}
	printf("faults: minflt %ld majflt %ld\n", minflt, majflt);
	pthread_join(thread, NULL);
	for (int i = 0; i < MESSAGES; i++)
		printf("msg %d: page %ld flags %llu\n", i, (long)(((seen[i].arg.pagefault.address & ~(PAGE - 1)) - (unsigned long)area) / PAGE),
		       (unsigned long long)seen[i].arg.pagefault.flags);
	int pagemap = open("/proc/self/pagemap", O_RDONLY);
	if (pagemap < 0) {
		printf("error: pagemap %d\n", errno);
		return 3;
	}
	page_fact(0, pagemap);
	page_fact(1, pagemap);
	printf("byte 0+100: 0x%02x\n", (unsigned char)area[100]);
	printf("byte 1+100: 0x%02x\n", (unsigned char)area[PAGE + 100]);
	struct uffdio_copy again = { .dst = (unsigned long)area, .src = (unsigned long)source, .len = PAGE, .mode = 0 };
	long r = ioctl((int)uffd, UFFDIO_COPY, &again);
	printf("copy-again: %ld\n", r == 0 ? 0L : -(long)errno);
	return 0;
}
