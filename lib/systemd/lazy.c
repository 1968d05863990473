/* libsystemd, loaded when first used, as systemd loads its own optional
 * libraries (dlopen): the program does not link it.  Linked, it and what it
 * links (libgcrypt, liblz4, libzstd, liblzma, libcap, libgpg-error) were
 * loaded and relocated at every start -- of every explain, of the front
 * end, of the helper after a failed unmount -- for what only the watcher, a
 * vanished mount's lookup and systemd's plans for a mount use.
 *
 * Each function below is libsystemd's own, by name and prototype (the
 * compiler holds each definition to its declaration in <systemd/sd-*.h>),
 * and calls the library's, found with dlsym the first time.  Where the
 * library cannot be loaded, each fails as its callers expect libsystemd
 * to fail: a negative errno (-EOPNOTSUPP), NULL, or nothing.  The variadic
 * ones call the library's va_list forms (systemd 246 and later).  Programs
 * that link libsystemd itself link the cause reader alone, not libumh.a
 * (tests/systemd/systemd.mk). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#define LIBSYSTEMD "libsystemd.so.0"

static void *library;
static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void load_library(void)
{
	library = dlopen(LIBSYSTEMD, RTLD_NOW | RTLD_LOCAL);
}

/* NAME in libsystemd, or NULL; *CACHE keeps it for the next call. */
static void *sym(const char *name, void **cache)
{
	void *p = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
	if (p)
		return p;
	pthread_once(&library_once, load_library);
	if (!library || !(p = dlsym(library, name)))
		return NULL;
	__atomic_store_n(cache, p, __ATOMIC_RELEASE);
	return p;
}

/* The body of a forwarding function: FAIL when there is no library. */
#define FORWARD(name, fail, ...)                                                                          \
	do {                                                                                              \
		static void *cache;                                                                       \
		__typeof__(name) *fn = (__typeof__(name) *)sym(#name, &cache);                            \
		if (!fn)                                                                                  \
			return fail;                                                                      \
		return fn(__VA_ARGS__);                                                                   \
	} while (0)
#define FORWARD_VOID(name, ...)                                                                           \
	do {                                                                                              \
		static void *cache;                                                                       \
		__typeof__(name) *fn = (__typeof__(name) *)sym(#name, &cache);                            \
		if (fn)                                                                                   \
			fn(__VA_ARGS__);                                                                  \
	} while (0)
/* A variadic function through its va_list form VNAME. */
#define FORWARD_VA(vname, last, ...)                                                                      \
	do {                                                                                              \
		static void *cache;                                                                       \
		__typeof__(vname) *fn = (__typeof__(vname) *)sym(#vname, &cache);                         \
		if (!fn)                                                                                  \
			return -EOPNOTSUPP;                                                               \
		va_list ap;                                                                               \
		va_start(ap, last);                                                                       \
		int r = fn(__VA_ARGS__, ap);                                                              \
		va_end(ap);                                                                               \
		return r;                                                                                 \
	} while (0)

/* --- sd-bus ------------------------------------------------------------------------ */

int sd_bus_new(sd_bus **ret) { FORWARD(sd_bus_new, -EOPNOTSUPP, ret); }
int sd_bus_open_system(sd_bus **ret) { FORWARD(sd_bus_open_system, -EOPNOTSUPP, ret); }
int sd_bus_set_address(sd_bus *bus, const char *address) { FORWARD(sd_bus_set_address, -EOPNOTSUPP, bus, address); }
int sd_bus_set_bus_client(sd_bus *bus, int b) { FORWARD(sd_bus_set_bus_client, -EOPNOTSUPP, bus, b); }
int sd_bus_set_fd(sd_bus *bus, int input_fd, int output_fd)
{
	FORWARD(sd_bus_set_fd, -EOPNOTSUPP, bus, input_fd, output_fd);
}
int sd_bus_set_method_call_timeout(sd_bus *bus, uint64_t usec)
{
	FORWARD(sd_bus_set_method_call_timeout, -EOPNOTSUPP, bus, usec);
}
int sd_bus_start(sd_bus *bus) { FORWARD(sd_bus_start, -EOPNOTSUPP, bus); }
int sd_bus_is_bus_client(sd_bus *bus) { FORWARD(sd_bus_is_bus_client, -EOPNOTSUPP, bus); }
int sd_bus_get_fd(sd_bus *bus) { FORWARD(sd_bus_get_fd, -EOPNOTSUPP, bus); }
int sd_bus_get_events(sd_bus *bus) { FORWARD(sd_bus_get_events, -EOPNOTSUPP, bus); }
int sd_bus_process(sd_bus *bus, sd_bus_message **r) { FORWARD(sd_bus_process, -EOPNOTSUPP, bus, r); }
int sd_bus_wait(sd_bus *bus, uint64_t timeout_usec) { FORWARD(sd_bus_wait, -EOPNOTSUPP, bus, timeout_usec); }
sd_bus *sd_bus_flush_close_unref(sd_bus *bus) { FORWARD(sd_bus_flush_close_unref, NULL, bus); }
sd_bus_message *sd_bus_get_current_message(sd_bus *bus) { FORWARD(sd_bus_get_current_message, NULL, bus); }
int sd_bus_path_encode(const char *prefix, const char *external_id, char **ret_path)
{
	FORWARD(sd_bus_path_encode, -EOPNOTSUPP, prefix, external_id, ret_path);
}

int sd_bus_call(sd_bus *bus, sd_bus_message *m, uint64_t usec, sd_bus_error *ret_error, sd_bus_message **reply)
{
	FORWARD(sd_bus_call, -EOPNOTSUPP, bus, m, usec, ret_error, reply);
}
int sd_bus_call_async(sd_bus *bus, sd_bus_slot **slot, sd_bus_message *m, sd_bus_message_handler_t callback,
		      void *userdata, uint64_t usec)
{
	FORWARD(sd_bus_call_async, -EOPNOTSUPP, bus, slot, m, callback, userdata, usec);
}
int sd_bus_call_method(sd_bus *bus, const char *destination, const char *path, const char *interface,
		       const char *member, sd_bus_error *ret_error, sd_bus_message **reply, const char *types, ...)
{
	FORWARD_VA(sd_bus_call_methodv, types, bus, destination, path, interface, member, ret_error, reply, types);
}
int sd_bus_call_method_async(sd_bus *bus, sd_bus_slot **slot, const char *destination, const char *path,
			     const char *interface, const char *member, sd_bus_message_handler_t callback,
			     void *userdata, const char *types, ...)
{
	FORWARD_VA(sd_bus_call_method_asyncv, types, bus, slot, destination, path, interface, member, callback,
		   userdata, types);
}
int sd_bus_match_signal(sd_bus *bus, sd_bus_slot **ret, const char *sender, const char *path, const char *interface,
			const char *member, sd_bus_message_handler_t callback, void *userdata)
{
	FORWARD(sd_bus_match_signal, -EOPNOTSUPP, bus, ret, sender, path, interface, member, callback, userdata);
}
sd_bus_slot *sd_bus_slot_unref(sd_bus_slot *slot) { FORWARD(sd_bus_slot_unref, NULL, slot); }
void sd_bus_error_free(sd_bus_error *e) { FORWARD_VOID(sd_bus_error_free, e); }

int sd_bus_message_new_method_call(sd_bus *bus, sd_bus_message **m, const char *destination, const char *path,
				   const char *interface, const char *member)
{
	FORWARD(sd_bus_message_new_method_call, -EOPNOTSUPP, bus, m, destination, path, interface, member);
}
sd_bus_message *sd_bus_message_ref(sd_bus_message *m) { FORWARD(sd_bus_message_ref, NULL, m); }
sd_bus_message *sd_bus_message_unref(sd_bus_message *m) { FORWARD(sd_bus_message_unref, NULL, m); }
int sd_bus_message_append(sd_bus_message *m, const char *types, ...)
{
	FORWARD_VA(sd_bus_message_appendv, types, m, types);
}
int sd_bus_message_append_strv(sd_bus_message *m, char **l) { FORWARD(sd_bus_message_append_strv, -EOPNOTSUPP, m, l); }
int sd_bus_message_read(sd_bus_message *m, const char *types, ...)
{
	FORWARD_VA(sd_bus_message_readv, types, m, types);
}
int sd_bus_message_read_array(sd_bus_message *m, char type, const void **ptr, size_t *size)
{
	FORWARD(sd_bus_message_read_array, -EOPNOTSUPP, m, type, ptr, size);
}
int sd_bus_message_read_strv(sd_bus_message *m, char ***l) { FORWARD(sd_bus_message_read_strv, -EOPNOTSUPP, m, l); }
int sd_bus_message_skip(sd_bus_message *m, const char *types) { FORWARD(sd_bus_message_skip, -EOPNOTSUPP, m, types); }
int sd_bus_message_enter_container(sd_bus_message *m, char type, const char *contents)
{
	FORWARD(sd_bus_message_enter_container, -EOPNOTSUPP, m, type, contents);
}
int sd_bus_message_exit_container(sd_bus_message *m) { FORWARD(sd_bus_message_exit_container, -EOPNOTSUPP, m); }
int sd_bus_message_get_errno(sd_bus_message *m) { FORWARD(sd_bus_message_get_errno, EOPNOTSUPP, m); }
const sd_bus_error *sd_bus_message_get_error(sd_bus_message *m) { FORWARD(sd_bus_message_get_error, NULL, m); }
int sd_bus_message_is_method_error(sd_bus_message *m, const char *name)
{
	FORWARD(sd_bus_message_is_method_error, -EOPNOTSUPP, m, name);
}

/* --- sd-journal, sd-daemon ------------------------------------------------------------ */

int sd_journal_open(sd_journal **ret, int flags) { FORWARD(sd_journal_open, -EOPNOTSUPP, ret, flags); }
int sd_journal_open_directory(sd_journal **ret, const char *path, int flags)
{
	FORWARD(sd_journal_open_directory, -EOPNOTSUPP, ret, path, flags);
}
int sd_journal_open_directory_fd(sd_journal **ret, int fd, int flags)
{
	FORWARD(sd_journal_open_directory_fd, -EOPNOTSUPP, ret, fd, flags);
}
void sd_journal_close(sd_journal *j) { FORWARD_VOID(sd_journal_close, j); }
int sd_journal_add_match(sd_journal *j, const void *data, size_t size)
{
	FORWARD(sd_journal_add_match, -EOPNOTSUPP, j, data, size);
}
int sd_journal_seek_tail(sd_journal *j) { FORWARD(sd_journal_seek_tail, -EOPNOTSUPP, j); }
int sd_journal_previous(sd_journal *j) { FORWARD(sd_journal_previous, -EOPNOTSUPP, j); }
int sd_journal_get_data(sd_journal *j, const char *field, const void **data, size_t *l)
{
	FORWARD(sd_journal_get_data, -EOPNOTSUPP, j, field, data, l);
}
int sd_journal_get_realtime_usec(sd_journal *j, uint64_t *ret)
{
	FORWARD(sd_journal_get_realtime_usec, -EOPNOTSUPP, j, ret);
}

int sd_notify(int unset_environment, const char *state) { FORWARD(sd_notify, -EOPNOTSUPP, unset_environment, state); }
