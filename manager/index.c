/* index: open-addressing string hash table with tombstone-free deletion (backward shift),
 * FNV-1a hashing, kept at most half full. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"

struct slot {
	char *key;
	void *value;
	uint32_t hash;
};

struct fm_index {
	struct slot *slots;
	size_t cap; /* power of two */
	size_t count;
};

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

struct fm_index *fm_index_new(size_t expected)
{
	struct fm_index *ix = calloc(1, sizeof(*ix));
	size_t cap = 16;

	if (!ix)
		return NULL;
	while (cap < expected * 2)
		cap *= 2;
	ix->slots = calloc(cap, sizeof(*ix->slots));
	if (!ix->slots) {
		free(ix);
		return NULL;
	}
	ix->cap = cap;
	return ix;
}

void fm_index_free(struct fm_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->cap; i++)
		free(ix->slots[i].key);
	free(ix->slots);
	free(ix);
}

static size_t find(const struct fm_index *ix, const char *key, uint32_t h)
{
	size_t i = h & (ix->cap - 1);

	while (ix->slots[i].key) {
		if (ix->slots[i].hash == h && !strcmp(ix->slots[i].key, key))
			return i;
		i = (i + 1) & (ix->cap - 1);
	}
	return i; /* empty slot where key would go */
}

static int grow(struct fm_index *ix)
{
	struct slot *old = ix->slots;
	size_t oldcap = ix->cap;

	ix->slots = calloc(oldcap * 2, sizeof(*ix->slots));
	if (!ix->slots) {
		ix->slots = old;
		return -ENOMEM;
	}
	ix->cap = oldcap * 2;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].key) {
			size_t j = find(ix, old[i].key, old[i].hash);

			ix->slots[j] = old[i];
		}
	}
	free(old);
	return 0;
}

int fm_index_put(struct fm_index *ix, const char *key, void *value)
{
	uint32_t h = hash_str(key);
	size_t i;

	if ((ix->count + 1) * 2 > ix->cap && grow(ix))
		return -ENOMEM;
	i = find(ix, key, h);
	if (ix->slots[i].key) {
		ix->slots[i].value = value;
		return 0;
	}
	ix->slots[i].key = strdup(key);
	if (!ix->slots[i].key)
		return -ENOMEM;
	ix->slots[i].value = value;
	ix->slots[i].hash = h;
	ix->count++;
	return 0;
}

void *fm_index_get(const struct fm_index *ix, const char *key)
{
	size_t i = find(ix, key, hash_str(key));

	return ix->slots[i].key ? ix->slots[i].value : NULL;
}

void *fm_index_del(struct fm_index *ix, const char *key)
{
	size_t mask = ix->cap - 1;
	size_t i = find(ix, key, hash_str(key)), j;
	void *value;

	if (!ix->slots[i].key)
		return NULL;
	value = ix->slots[i].value;
	free(ix->slots[i].key);
	ix->slots[i].key = NULL;
	ix->count--;
	/* backward-shift the cluster after i so lookups never stop at a false hole */
	for (j = (i + 1) & mask; ix->slots[j].key; j = (j + 1) & mask) {
		size_t home = ix->slots[j].hash & mask;

		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			ix->slots[i] = ix->slots[j];
			ix->slots[j].key = NULL;
			i = j;
		}
	}
	return value;
}

size_t fm_index_count(const struct fm_index *ix)
{
	return ix->count;
}
