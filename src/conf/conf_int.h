/* conf internals shared by conf.c and conf_lists.c */
#ifndef KITE_CONF_CONF_INT_H
#define KITE_CONF_CONF_INT_H
#include <stddef.h>
#include <stdint.h>
#include "conf/conf.h"

/* room for record n in *arr (capacity *cap, grown by doubling, the new part
 * zeroed); 0 or -1 (no memory: *arr unchanged) */
int conf_list_grow(void **arr, uint32_t *cap, uint32_t n, size_t size);
/* names in a file list ended by an empty one (NULL: none) */
size_t conf_files_count(const char (*files)[CONF_FILE_MAX]);
/* a secret with its own copies of the key and the ids; 0 or -1 (nothing held) */
int conf_secret_copy(struct conf_secret *d, const struct conf_secret *s);
#endif
