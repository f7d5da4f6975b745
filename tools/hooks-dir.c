/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which files of the hooks directory are hooks: run-parts' rules, so that
 * a package manager's leftovers (*.dpkg-old, *.rpmsave), an editor's
 * backups (*~), dotfiles and the shipped README never run, and the order
 * is the names' byte order whatever the locale.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hooks.h"

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

bool hook_name_wanted(const char *name)
{
	static const char *const skipped_parts[] = {
		".dpkg-", ".rpmsave", ".rpmnew", ".rpmorig", ".ucf-",
	};

	if (!*name || name[0] == '.' || ends_with(name, "~") ||
	    !strcmp(name, "README") || ends_with(name, ".swp"))
		return false;
	for (size_t i = 0; i < sizeof(skipped_parts) / sizeof(*skipped_parts); i++)
		if (strstr(name, skipped_parts[i]))
			return false;
	return true;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void hooks_dir_free(char **paths, int n)
{
	for (int i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

int hooks_dir_scan(const char *dir, char ***paths)
{
	char **list = NULL;
	struct dirent *de;
	int n = 0, cap = 0, r = 0;
	DIR *d = opendir(dir);

	*paths = NULL;
	if (!d)
		return -errno;
	while ((errno = 0, de = readdir(d))) {
		struct stat st;
		size_t len;
		char *path;

		if (!hook_name_wanted(de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) ||
		    !S_ISREG(st.st_mode) ||
		    faccessat(dirfd(d), de->d_name, X_OK, AT_EACCESS))
			continue;	/* dangling link, directory, not executable */
		len = strlen(dir) + strlen(de->d_name) + 2;
		if (!(path = malloc(len))) {
			r = -ENOMEM;
			break;
		}
		snprintf(path, len, "%s/%s", dir, de->d_name);
		if (n == cap) {
			char **bigger = realloc(list, (size_t)(cap = cap ? 2 * cap : 8) *
						      sizeof(*list));

			if (!bigger) {
				free(path);
				r = -ENOMEM;
				break;
			}
			list = bigger;
		}
		list[n++] = path;
	}
	if (!r && errno)
		r = -errno;
	closedir(d);
	if (r) {
		hooks_dir_free(list, n);
		return r;
	}
	/* full paths share the prefix: their order is the names' */
	if (n)
		qsort(list, (size_t)n, sizeof(*list), by_name);
	*paths = list;
	return n;
}
