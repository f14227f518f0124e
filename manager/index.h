/* index: a string-keyed hash table (open addressing, linear probing) for O(1) lookups of
 * functions, cards and hosts by the names operators type. Values are borrowed pointers. */
#ifndef FM_INDEX_H
#define FM_INDEX_H

#include <stddef.h>

struct fm_index;

struct fm_index *fm_index_new(size_t expected);
void fm_index_free(struct fm_index *ix); /* frees the keys it copied, not the values */

/* Inserts or replaces. 0 or -ENOMEM. */
int fm_index_put(struct fm_index *ix, const char *key, void *value);
void *fm_index_get(const struct fm_index *ix, const char *key);
/* Removes key if present; returns its value or NULL. */
void *fm_index_del(struct fm_index *ix, const char *key);
size_t fm_index_count(const struct fm_index *ix);

#endif
