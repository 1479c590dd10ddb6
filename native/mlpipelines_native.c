/* One folder of a snapshot's walk, read in C: its entry names, a kind per entry, and the
 * stat fields of its regular files packed as the stat cache compares them.
 *
 * scan(path) -> (names, kinds, packed)
 *   names   entry names, decoded as os.listdir decodes them (file system encoding,
 *           surrogateescape), sorted as Python sorts str;
 *   kinds   bytes, one per name: b'f' regular file (through symlinks, as os.stat),
 *           b'd' folder, b'l' symlink to a folder (not followed), b'o' anything else,
 *           b'g' gone (removed since the listing, or a dangling symlink);
 *   packed  for each b'f' entry in name order, "=QqqQ": st_size, st_mtime_ns, st_ctime_ns,
 *           st_ino (mlpipelines/snapshot/stat_column.py reads this layout).
 *
 * Why: a stat_result object per file, then packing its fields, was most of re-checking an
 * unchanged tree. The listing and the stats run without the GIL; what to enter or ignore
 * stays in Python. An error other than "gone" raises OSError, as os.scandir / os.stat do.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    size_t offset;     /* into the names buffer, NUL-terminated */
    size_t length;
    unsigned char type; /* d_type */
    PyObject *name;    /* decoded, while sorting */
} Entry;

typedef struct {
    uint64_t size;
    int64_t mtime_ns;
    int64_t ctime_ns;
    uint64_t ino;
} Packed; /* "=QqqQ": four 8-byte fields, no padding */

_Static_assert(sizeof(Packed) == 32, "the packed layout is 32 bytes");

typedef struct {
    char *names;
    size_t used, capacity;
    Entry *entries;
    size_t count, room;
} Listing;

static void listing_free(Listing *listing) {
    free(listing->names);
    free(listing->entries);
}

/* Appends one entry; 0, or -1 when out of memory (errno ENOMEM). */
static int listing_add(Listing *listing, const char *name, unsigned char type) {
    size_t length = strlen(name);
    if (listing->used + length + 1 > listing->capacity) {
        size_t capacity = listing->capacity ? listing->capacity * 2 : 16384;
        while (capacity < listing->used + length + 1)
            capacity *= 2;
        char *grown = realloc(listing->names, capacity);
        if (grown == NULL)
            return -1;
        listing->names = grown;
        listing->capacity = capacity;
    }
    if (listing->count == listing->room) {
        size_t room = listing->room ? listing->room * 2 : 256;
        Entry *grown = realloc(listing->entries, room * sizeof(Entry));
        if (grown == NULL)
            return -1;
        listing->entries = grown;
        listing->room = room;
    }
    memcpy(listing->names + listing->used, name, length + 1);
    listing->entries[listing->count++] = (Entry){listing->used, length, type, NULL};
    listing->used += length + 1;
    return 0;
}

/* Reads every name of the open folder `fd` (consumed); 0, or -1 with errno. No GIL. */
static int read_names(int fd, Listing *listing) {
    DIR *dir = fdopendir(fd);
    if (dir == NULL) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    for (;;) {
        errno = 0;
        struct dirent *entry = readdir(dir);
        if (entry == NULL)
            break;
        const char *name = entry->d_name;
        if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
            continue;
        if (listing_add(listing, name, entry->d_type) < 0) {
            errno = ENOMEM;
            break;
        }
    }
    int saved = errno;
    closedir(dir);
    errno = saved;
    return saved ? -1 : 0;
}

static int stat_at(int fd, const char *name, struct stat *st, int flags) {
    int result;
    do {
        result = fstatat(fd, name, st, flags);
    } while (result < 0 && errno == EINTR);
    return result;
}

/* The kind of each entry (in sorted order) and the packed fields of the regular files.
 * Returns -1 with errno and *failed set to the entry's index on an error. No GIL. */
static int stat_entries(int fd, const Listing *listing, Entry **order, char *kinds,
                        Packed *packed, size_t *files, size_t *failed) {
    size_t n = 0;
    for (size_t i = 0; i < listing->count; i++) {
        const Entry *entry = order[i];
        const char *name = listing->names + entry->offset;
        struct stat st;
        if (entry->type == DT_DIR) {
            kinds[i] = 'd';
            continue;
        }
        if (stat_at(fd, name, &st, 0) < 0) {
            if (errno == ENOENT) {
                kinds[i] = 'g';
                continue;
            }
            *failed = i;
            return -1;
        }
        if (S_ISREG(st.st_mode)) {
            kinds[i] = 'f';
            packed[n].size = (uint64_t)st.st_size;
            packed[n].mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
            packed[n].ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
            packed[n].ino = (uint64_t)st.st_ino;
            n++;
        } else if (S_ISDIR(st.st_mode)) {
            int link = entry->type == DT_LNK;
            if (entry->type != DT_LNK) { /* unknown type (or changed since): ask again */
                struct stat own;
                if (stat_at(fd, name, &own, AT_SYMLINK_NOFOLLOW) < 0) {
                    if (errno == ENOENT) {
                        kinds[i] = 'g';
                        continue;
                    }
                    *failed = i;
                    return -1;
                }
                link = S_ISLNK(own.st_mode);
            }
            kinds[i] = link ? 'l' : 'd';
        } else {
            kinds[i] = 'o';
        }
    }
    *files = n;
    return 0;
}

static int by_name(const void *a, const void *b) {
    /* Both are str objects: PyUnicode_Compare cannot fail, and orders as Python's sort. */
    return PyUnicode_Compare((*(Entry *const *)a)->name, (*(Entry *const *)b)->name);
}

/* OSError for errno: of the folder (named as given, as os.scandir names it) when `name` is
 * NULL, else of its entry `name`. */
static PyObject *error_for(PyObject *given, PyObject *folder, const char *name) {
    if (name == NULL)
        return PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, given);
    int saved = errno;
    PyObject *path = PyBytes_FromFormat("%s/%s", PyBytes_AS_STRING(folder), name);
    if (path == NULL)
        return NULL;
    PyObject *decoded = PyUnicode_DecodeFSDefaultAndSize(PyBytes_AS_STRING(path),
                                                         PyBytes_GET_SIZE(path));
    Py_DECREF(path);
    if (decoded == NULL)
        return NULL;
    errno = saved;
    PyErr_SetFromErrnoWithFilenameObject(PyExc_OSError, decoded);
    Py_DECREF(decoded);
    return NULL;
}

static PyObject *scan(PyObject *module, PyObject *arg) {
    (void)module;
    PyObject *folder = NULL; /* bytes */
    if (!PyUnicode_FSConverter(arg, &folder))
        return NULL;
    PyObject *result = NULL, *names = NULL, *kinds = NULL, *packed = NULL;
    Listing listing = {0};
    Entry **order = NULL;
    int fd, error = 0;
    const char *path = PyBytes_AS_STRING(folder);

    Py_BEGIN_ALLOW_THREADS
    do {
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    /* A second descriptor for the stats: read_names hands its own to closedir. */
    int listed = fd;
    if (fd >= 0) {
        listed = dup(fd);
        if (listed < 0 || read_names(listed, &listing) < 0) {
            error = errno;
            close(fd);
            fd = -1;
        }
    } else {
        error = errno;
    }
    Py_END_ALLOW_THREADS
    if (fd < 0) {
        errno = error;
        if (error == ENOMEM)
            PyErr_NoMemory();
        else
            error_for(arg, folder, NULL);
        goto done;
    }

    order = malloc((listing.count ? listing.count : 1) * sizeof(Entry *));
    names = PyList_New((Py_ssize_t)listing.count);
    kinds = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)listing.count);
    packed = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(listing.count * sizeof(Packed)));
    if (order == NULL || names == NULL || kinds == NULL || packed == NULL) {
        if (order == NULL)
            PyErr_NoMemory();
        goto close_fd;
    }
    for (size_t i = 0; i < listing.count; i++) {
        Entry *entry = &listing.entries[i];
        entry->name = PyUnicode_DecodeFSDefaultAndSize(listing.names + entry->offset,
                                                       (Py_ssize_t)entry->length);
        if (entry->name == NULL) {
            for (size_t j = 0; j < i; j++)
                Py_DECREF(listing.entries[j].name);
            goto close_fd;
        }
        order[i] = entry;
    }
    qsort(order, listing.count, sizeof(Entry *), by_name);
    for (size_t i = 0; i < listing.count; i++)
        PyList_SET_ITEM(names, (Py_ssize_t)i, order[i]->name); /* steals the reference */

    size_t files = 0, failed = 0;
    int status;
    char *kind_bytes = PyBytes_AS_STRING(kinds);
    Packed *rows = (Packed *)PyBytes_AS_STRING(packed);
    Py_BEGIN_ALLOW_THREADS
    status = stat_entries(fd, &listing, order, kind_bytes, rows, &files, &failed);
    error = errno;
    Py_END_ALLOW_THREADS
    if (status < 0) {
        errno = error;
        error_for(arg, folder, listing.names + order[failed]->offset);
        goto close_fd;
    }
    if (_PyBytes_Resize(&packed, (Py_ssize_t)(files * sizeof(Packed))) < 0)
        goto close_fd;
    result = PyTuple_Pack(3, names, kinds, packed);

close_fd:
    close(fd);
done:
    Py_XDECREF(names);
    Py_XDECREF(kinds);
    Py_XDECREF(packed);
    free(order);
    listing_free(&listing);
    Py_DECREF(folder);
    return result;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_O,
     "scan(path) -> (names, kinds, packed): one folder's sorted entry names, a kind per entry "
     "(b'f' file, b'd' folder, b'l' symlink to a folder, b'o' other, b'g' gone) and the "
     "regular files' (size, mtime_ns, ctime_ns, ino) packed '=QqqQ' in name order."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_definition = {
    PyModuleDef_HEAD_INIT, "mlpipelines_native",
    "A snapshot walk's per-folder listing and stats in C (see scan).", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit_mlpipelines_native(void) { return PyModule_Create(&module_definition); }
