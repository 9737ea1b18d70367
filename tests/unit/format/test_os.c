/*
 * test_os.c — the platform layer: file sizes, maps of whole files (including
 * empty ones), errno messages with the path, sorted directory listings that
 * skip hidden and '_' names, globs, and file expansion of a scan description.
 */
#include <sys/stat.h>

#include "format_test_util.h"
#include "os/os.h"

static void test_size_and_mmap(void **state)
{
    (void)state;
    const char *p = ft_write("a.txt", "hello\n");
    int64_t size = -1;
    em_error err;
    assert_int_equal(em_os_file_size(p, &size, &err), 0);
    assert_int_equal(size, 6);
    em_mmap m;
    assert_int_equal(em_os_mmap(p, &m, &err), 0);
    assert_int_equal(m.size, 6);
    assert_memory_equal(m.data, "hello\n", 6);
    em_os_mmap_willneed(&m, 2, 100);
    em_os_munmap(&m);
    em_os_munmap(&m); /* twice is harmless */

    p = ft_write("empty.txt", "");
    assert_int_equal(em_os_mmap(p, &m, &err), 0);
    assert_int_equal(m.size, 0);
    assert_non_null(m.data);
    em_os_munmap(&m);

    /* A larger file spanning several pages. */
    char *big = em_malloc(100000);
    for (int i = 0; i < 100000; i++) big[i] = (char)('a' + i % 26);
    p = ft_write_n("big.txt", big, 100000);
    assert_int_equal(em_os_mmap(p, &m, &err), 0);
    assert_int_equal(m.size, 100000);
    assert_memory_equal(m.data, big, 100000);
    em_os_munmap(&m);
    em_free(big);
}

static void test_errors(void **state)
{
    (void)state;
    em_error err;
    int64_t size;
    em_mmap m;
    char expect[512];
    const char *missing = ft_path("data/x.csv");
    snprintf(expect, sizeof expect, "No such file or directory: '%s'", missing);
    assert_int_equal(em_os_file_size(missing, &size, &err), EM_ENOENT);
    assert_string_equal(err.message, expect);
    assert_int_equal(em_os_mmap(missing, &m, &err), EM_ENOENT);
    assert_string_equal(err.message, expect);
    assert_int_equal(em_os_error(&err, 13, "x.csv"), EM_EIO);
    assert_string_equal(err.message, "Permission denied: 'x.csv'");
    /* A directory is not a file. */
    assert_int_equal(em_os_mmap(ft_dir, &m, &err), EM_EIO);
    snprintf(expect, sizeof expect, "Is a directory: '%s'", ft_dir);
    assert_string_equal(err.message, expect);

    assert_int_equal(em_os_path_kind(ft_dir), EM_OS_DIR);
    assert_int_equal(em_os_path_kind(missing), EM_OS_MISSING);
    assert_int_equal(em_os_path_kind("/dev/null"), EM_OS_OTHER);
}

static void test_list_and_glob(void **state)
{
    (void)state;
    assert_int_equal(mkdir(ft_path("d"), 0755), 0);
    assert_int_equal(mkdir(ft_path("d/sub"), 0755), 0);
    ft_write("d/b.csv", "1");
    ft_write("d/a.csv", "1");
    ft_write("d/C.csv", "1");
    ft_write("d/_SUCCESS", "");
    ft_write("d/.hidden.csv", "");
    ft_write("d/sub/z.csv", "1");
    char **names;
    int n;
    em_error err;
    assert_int_equal(em_os_list_dir(ft_path("d"), &names, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_string_equal(names[0], "C.csv");
    assert_string_equal(names[1], "a.csv");
    assert_string_equal(names[2], "b.csv");
    assert_string_equal(names[3], "sub");
    em_os_free_list(names, n);
    assert_int_equal(em_os_list_dir(ft_path("nodir"), &names, &n, &err), EM_ENOENT);

    assert_int_equal(em_os_glob(ft_path("d/*.csv"), &names, &n, &err), 0);
    assert_int_equal(n, 3);
    char expect[512];
    snprintf(expect, sizeof expect, "%s/d/C.csv", ft_dir);
    assert_string_equal(names[0], expect);
    snprintf(expect, sizeof expect, "%s/d/b.csv", ft_dir);
    assert_string_equal(names[2], expect);
    em_os_free_list(names, n);
    assert_int_equal(em_os_glob(ft_path("d/_*"), &names, &n, &err), 0);
    assert_int_equal(n, 1);
    em_os_free_list(names, n);
    assert_int_equal(em_os_glob(ft_path("d/*.{csv,txt}"), &names, &n, &err), 0);
    assert_int_equal(n, 3);
    em_os_free_list(names, n);
    assert_int_equal(em_os_glob(ft_path("d/*.parquet"), &names, &n, &err), 0);
    assert_int_equal(n, 0);
    em_os_free_list(names, n);
    assert_true(em_os_is_glob("a/*.csv"));
    assert_false(em_os_is_glob("a/b.csv"));

    char *j = em_os_path_join("dir/", "f");
    assert_string_equal(j, "dir/f");
    em_free(j);
    j = em_os_path_join("dir", "f");
    assert_string_equal(j, "dir/f");
    em_free(j);
    assert_string_equal(em_os_basename("a/b/c.csv"), "c.csv");
    assert_string_equal(em_os_basename("c.csv"), "c.csv");

    /* File expansion of a scan: directory (regular files only), glob over
     * directories, missing path. */
    em_scan_desc *d = em_scan_desc_create("csv");
    assert_int_equal(em_scan_desc_add_files(d, ft_path("d"), &err), 0);
    assert_int_equal(d->nfiles, 3);
    assert_int_equal(em_scan_desc_add_files(d, ft_path("d/s*"), &err), 0);
    assert_int_equal(d->nfiles, 4);
    snprintf(expect, sizeof expect, "%s/d/sub/z.csv", ft_dir);
    assert_string_equal(d->files[3], expect);
    assert_int_equal(em_scan_desc_add_files(d, ft_path("d/missing.csv"), &err), EM_ENOENT);
    snprintf(expect, sizeof expect, "No such file or directory: '%s/d/missing.csv'", ft_dir);
    assert_string_equal(err.message, expect);
    assert_int_equal(mkdir(ft_path("emptydir"), 0755), 0);
    assert_int_equal(em_scan_desc_add_files(d, ft_path("emptydir"), &err), EM_ENOENT);
    em_scan_desc_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_size_and_mmap, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_errors, ft_setup, ft_teardown),
        cmocka_unit_test_setup_teardown(test_list_and_glob, ft_setup, ft_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
