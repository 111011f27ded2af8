// unsynced.c: an LD_PRELOAD shim for the power-loss drill (tests/EdgeMdm.Drills/PowerLossDrill.cs).
//
// For every regular file under UNSYNCED_ROOT it keeps an undo journal of each change to the file's bytes since that
// file's last fsync/fdatasync: before a write (write, pwrite, pwrite64, writev, pwritev, pwritev2 and their 64-bit
// names), a truncation (ftruncate, truncate, an open with O_TRUNC) or an fallocate, it appends the bytes the change
// will cover and the file's size to UNSYNCED_JOURNAL.PID; after an fsync or fdatasync of the file returns, it appends
// a sync mark. After a SIGKILL the drill's restorer (UnsyncedJournal.cs) undoes, newest first, every change made after
// the file's last sync mark: what a power cut does to data the kernel had not yet written.
//
// The model (docs/reliability.md, "power-loss"): file data is lost unless fsynced; metadata (create, rename, unlink,
// mkdir) is taken as durable at once and in program order, as a journaling file system's ordered metadata, so a
// missing directory fsync is not found by this shim. sync() and syncfs() make everything durable. Writes through
// memory maps (SQLite's -shm) are not seen: the restorer deletes -shm files, which SQLite rebuilds from the WAL.
// Files opened with O_SYNC or O_DSYNC are durable at each write.
//
// Records are appended with one write() each to a journal of this process only, under a mutex, stamped with
// CLOCK_MONOTONIC taken under the mutex: the restorer merges the processes' journals by stamp (writers of one file
// are serialised by their own locks, SQLite's, so stamps order their writes). A record cut short by the kill is the
// last of its journal and is ignored: the change it precedes had not started.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x4a534e55u /* "UNSJ" */
#define KIND_CHANGE 1
#define KIND_SYNC 2
#define KIND_SYNC_ALL 3
#define KIND_GONE 4 /* the file was unlinked or renamed over: its inode may be reused */

struct record_header {
    uint32_t magic;
    uint32_t kind;
    uint64_t length;   /* of the whole record, header included */
    uint64_t stamp;    /* CLOCK_MONOTONIC, ns */
    uint64_t dev;
    uint64_t ino;
    int64_t offset;    /* where the pre-image starts */
    int64_t size;      /* the file's size before the change */
    uint64_t image;    /* bytes of pre-image that follow */
};

static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;
static int journal_fd = -1;
static pid_t journal_pid;
static char root[PATH_MAX];
static size_t root_length;
static int enabled = -1;

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev64)(int, const struct iovec *, int, off_t);
static ssize_t (*real_pwritev2)(int, const struct iovec *, int, off_t, int);
static int (*real_ftruncate64)(int, off_t);
static int (*real_truncate64)(const char *, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_fallocate64)(int, int, off_t, off_t);
static void (*real_sync)(void);
static int (*real_unlinkat)(int, const char *, int);
static int (*real_renameat2)(int, const char *, int, const char *, unsigned int);
static int (*real_syncfs)(int);

#define RESOLVE(name, symbol) do { if (!real_##name) real_##name = dlsym(RTLD_NEXT, symbol); } while (0)

static void init(void) {
    if (enabled >= 0)
        return;
    RESOLVE(write, "write");
    RESOLVE(pwrite64, "pwrite64");
    RESOLVE(writev, "writev");
    RESOLVE(pwritev64, "pwritev64");
    RESOLVE(pwritev2, "pwritev2");
    RESOLVE(ftruncate64, "ftruncate64");
    RESOLVE(truncate64, "truncate64");
    RESOLVE(fsync, "fsync");
    RESOLVE(fdatasync, "fdatasync");
    RESOLVE(open64, "open64");
    RESOLVE(openat64, "openat64");
    RESOLVE(fallocate64, "fallocate64");
    RESOLVE(sync, "sync");
    RESOLVE(syncfs, "syncfs");
    RESOLVE(unlinkat, "unlinkat");
    RESOLVE(renameat2, "renameat2");
    const char *r = getenv("UNSYNCED_ROOT");
    const char *j = getenv("UNSYNCED_JOURNAL");
    if (!r || !j || !realpath(r, root)) {
        enabled = 0;
        return;
    }
    root_length = strlen(root);
    enabled = 1;
}

/* The journal of this process, opened on first use (and again in a forked child, which has its own pid). */
static int journal(void) {
    pid_t pid = getpid();
    if (journal_fd >= 0 && journal_pid == pid)
        return journal_fd;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s.%d", getenv("UNSYNCED_JOURNAL"), (int)pid);
    journal_fd = real_open64(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    journal_pid = pid;
    if (journal_fd < 0) {
        fprintf(stderr, "unsynced: cannot open %s: %s\n", path, strerror(errno));
        abort();
    }
    return journal_fd;
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Whether fd is a regular file under the root, opened without O_SYNC/O_DSYNC; its identity in *st. */
static int tracked(int fd, struct stat *st) {
    init();
    if (enabled != 1 || fstat(fd, st) != 0 || !S_ISREG(st->st_mode))
        return 0;
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & (O_SYNC | O_DSYNC)))
        return 0;
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n <= 0)
        return 0;
    path[n] = 0;
    return strncmp(path, root, root_length) == 0 && (path[root_length] == '/' || path[root_length] == 0);
}

static void append(const void *data, size_t length) {
    const char *p = data;
    while (length > 0) {
        ssize_t n = real_write(journal(), p, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "unsynced: journal write failed: %s\n", strerror(errno));
            abort();
        }
        p += n;
        length -= (size_t)n;
    }
}

/* The bytes [offset, offset + length) of fd as they are now (those below the file's size), into a new buffer. */
static size_t pre_image(int fd, const struct stat *st, off_t offset, size_t length, char **image) {
    *image = NULL;
    if (offset >= st->st_size || length == 0)
        return 0;
    size_t wanted = (size_t)(st->st_size - offset) < length ? (size_t)(st->st_size - offset) : length;
    *image = malloc(wanted);
    if (!*image)
        abort();
    int reader = fd;
    ssize_t got = pread(reader, *image, wanted, offset);
    if (got < 0 && errno == EBADF) {
        /* Opened write-only (a FileStream for writing): read the same file through a descriptor of our own. */
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        reader = real_open64(link, O_RDONLY | O_CLOEXEC);
        got = reader < 0 ? -1 : pread(reader, *image, wanted, offset);
        if (reader >= 0)
            close(reader);
    }
    if (got < 0) {
        fprintf(stderr, "unsynced: cannot read the pre-image: %s\n", strerror(errno));
        abort();
    }
    return (size_t)got;
}

/* Journals the change about to cover [offset, offset + length) of fd, under the lock the caller holds. */
static void journal_change(int fd, const struct stat *st, off_t offset, size_t length) {
    char *image;
    size_t got = pre_image(fd, st, offset, length, &image);
    struct record_header h = {MAGIC, KIND_CHANGE, sizeof h + got, now_ns(), (uint64_t)st->st_dev, (uint64_t)st->st_ino,
                              (int64_t)offset, (int64_t)st->st_size, got};
    char *record = malloc(sizeof h + got);
    if (!record)
        abort();
    memcpy(record, &h, sizeof h);
    if (got)
        memcpy(record + sizeof h, image, got);
    append(record, sizeof h + got);
    free(record);
    free(image);
}

static void journal_mark(uint32_t kind, const struct stat *st, uint64_t stamp) {
    struct record_header h = {MAGIC, kind, sizeof h, stamp, st ? (uint64_t)st->st_dev : 0, st ? (uint64_t)st->st_ino : 0, 0, 0, 0};
    append(&h, sizeof h);
}

static size_t total(const struct iovec *iov, int count) {
    size_t sum = 0;
    for (int i = 0; i < count; i++)
        sum += iov[i].iov_len;
    return sum;
}

/* Where a write() on fd lands: the end for O_APPEND, else the file offset. */
static off_t position(int fd, const struct stat *st) {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_APPEND))
        return st->st_size;
    return lseek(fd, 0, SEEK_CUR);
}

#define GUARDED(fd, offset_expression, length, call) \
    do { \
        struct stat st; \
        if (!tracked(fd, &st)) \
            return call; \
        pthread_mutex_lock(&journal_lock); \
        journal_change(fd, &st, (offset_expression), (length)); \
        __typeof__(call) result = call; \
        pthread_mutex_unlock(&journal_lock); \
        return result; \
    } while (0)

ssize_t write(int fd, const void *buffer, size_t count) {
    init();
    GUARDED(fd, position(fd, &st), count, real_write(fd, buffer, count));
}

ssize_t pwrite64(int fd, const void *buffer, size_t count, off_t offset) {
    init();
    GUARDED(fd, offset, count, real_pwrite64(fd, buffer, count, offset));
}

ssize_t pwrite(int fd, const void *buffer, size_t count, off_t offset) { return pwrite64(fd, buffer, count, offset); }

ssize_t writev(int fd, const struct iovec *iov, int count) {
    init();
    GUARDED(fd, position(fd, &st), total(iov, count), real_writev(fd, iov, count));
}

ssize_t pwritev64(int fd, const struct iovec *iov, int count, off_t offset) {
    init();
    GUARDED(fd, offset, total(iov, count), real_pwritev64(fd, iov, count, offset));
}

ssize_t pwritev(int fd, const struct iovec *iov, int count, off_t offset) { return pwritev64(fd, iov, count, offset); }

ssize_t pwritev2(int fd, const struct iovec *iov, int count, off_t offset, int flags) {
    init();
    GUARDED(fd, offset == -1 ? position(fd, &st) : offset, total(iov, count), real_pwritev2(fd, iov, count, offset, flags));
}

/* A truncation to length: the bytes cut off are the pre-image (a growth has none; the undo truncates back). */
int ftruncate64(int fd, off_t length) {
    init();
    GUARDED(fd, length, st.st_size > length ? (size_t)(st.st_size - length) : 0, real_ftruncate64(fd, length));
}

int ftruncate(int fd, off_t length) { return ftruncate64(fd, length); }

int fallocate64(int fd, int mode, off_t offset, off_t length) {
    init();
    GUARDED(fd, offset, (size_t)length, real_fallocate64(fd, mode, offset, length));
}

int fallocate(int fd, int mode, off_t offset, off_t length) { return fallocate64(fd, mode, offset, length); }

int truncate64(const char *path, off_t length) {
    init();
    int fd = real_open64(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return real_truncate64(path, length);
    int result = ftruncate64(fd, length);
    close(fd);
    return result;
}

int truncate(const char *path, off_t length) { return truncate64(path, length); }

static int synced(int fd, int data_only) {
    init();
    int (*call)(int) = data_only ? real_fdatasync : real_fsync;
    struct stat st;
    if (!tracked(fd, &st))
        return call(fd);
    uint64_t stamp = now_ns();
    int result = call(fd);
    if (result == 0) {
        pthread_mutex_lock(&journal_lock);
        journal_mark(KIND_SYNC, &st, stamp);
        pthread_mutex_unlock(&journal_lock);
    }
    return result;
}

int fsync(int fd) { return synced(fd, 0); }

int fdatasync(int fd) { return synced(fd, 1); }

void sync(void) {
    init();
    uint64_t stamp = now_ns();
    real_sync();
    if (enabled == 1) {
        pthread_mutex_lock(&journal_lock);
        journal_mark(KIND_SYNC_ALL, NULL, stamp);
        pthread_mutex_unlock(&journal_lock);
    }
}

int syncfs(int fd) {
    init();
    uint64_t stamp = now_ns();
    int result = real_syncfs(fd);
    if (result == 0 && enabled == 1) {
        pthread_mutex_lock(&journal_lock);
        journal_mark(KIND_SYNC_ALL, NULL, stamp);
        pthread_mutex_unlock(&journal_lock);
    }
    return result;
}

/* An open with O_TRUNC of an existing tracked file: journaled as a truncation to 0 before the open truncates it. */
static void before_truncating_open(int dirfd, const char *path, int flags) {
    if (!(flags & O_TRUNC) || !(flags & (O_WRONLY | O_RDWR)))
        return;
    int fd = real_openat64(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return;
    struct stat st;
    if (tracked(fd, &st) && st.st_size > 0) {
        pthread_mutex_lock(&journal_lock);
        journal_change(fd, &st, 0, (size_t)st.st_size);
        pthread_mutex_unlock(&journal_lock);
    }
    close(fd);
}

#define MODE_ARGUMENT(flags) \
    mode_t mode = 0; \
    if ((flags) & (O_CREAT | O_TMPFILE)) { \
        va_list arguments; \
        va_start(arguments, flags); \
        mode = va_arg(arguments, mode_t); \
        va_end(arguments); \
    }

int openat64(int dirfd, const char *path, int flags, ...) {
    MODE_ARGUMENT(flags);
    init();
    if (enabled == 1)
        before_truncating_open(dirfd, path, flags);
    return real_openat64(dirfd, path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...) {
    MODE_ARGUMENT(flags);
    return openat64(dirfd, path, flags, mode);
}

int open64(const char *path, int flags, ...) {
    MODE_ARGUMENT(flags);
    return openat64(AT_FDCWD, path, flags, mode);
}

int open(const char *path, int flags, ...) {
    MODE_ARGUMENT(flags);
    return openat64(AT_FDCWD, path, flags, mode);
}

/* Unlinks and renames over a file end its inode's history: a new file may get the same inode number. */
static int gone_before(int dirfd, const char *path, struct stat *st) {
    return enabled == 1 && fstatat(dirfd, path, st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st->st_mode);
}

static void gone(const struct stat *st) {
    pthread_mutex_lock(&journal_lock);
    journal_mark(KIND_GONE, st, now_ns());
    pthread_mutex_unlock(&journal_lock);
}

int unlinkat(int dirfd, const char *path, int flags) {
    init();
    struct stat st;
    int known = !(flags & AT_REMOVEDIR) && gone_before(dirfd, path, &st);
    int result = real_unlinkat(dirfd, path, flags);
    if (result == 0 && known && st.st_nlink <= 1)
        gone(&st);
    return result;
}

int unlink(const char *path) { return unlinkat(AT_FDCWD, path, 0); }

int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags) {
    init();
    struct stat st;
    int known = gone_before(newdirfd, newpath, &st);
    int result = real_renameat2(olddirfd, oldpath, newdirfd, newpath, flags);
    if (result == 0 && known && st.st_nlink <= 1 && !(flags & RENAME_EXCHANGE))
        gone(&st);
    return result;
}

int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath) { return renameat2(olddirfd, oldpath, newdirfd, newpath, 0); }

int rename(const char *oldpath, const char *newpath) { return renameat2(AT_FDCWD, oldpath, AT_FDCWD, newpath, 0); }
