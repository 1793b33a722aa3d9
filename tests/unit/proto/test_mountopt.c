/* proto/mountopt: the one table of the guest filesystems' options that
 * mvrun passes and mvinit accepts. */
#include <criterion/criterion.h>
#include <sys/mount.h>

#include "proto/mountopt.h"

Test(mountopt, types_are_the_guests_own)
{
	const char *ok[] = { "tmpfs", "proc", "sysfs", "devpts", "mqueue" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		cr_assert(mountopt_type_ok(ok[i]), "%s", ok[i]);
	cr_assert_not(mountopt_type_ok("ext4"));
	cr_assert_not(mountopt_type_ok("bind"));
	cr_assert_not(mountopt_type_ok(""));
}

Test(mountopt, data_options_take_a_value_of_their_characters)
{
	cr_assert(mountopt_is_data("tmpfs", "size=65536k"));
	cr_assert(mountopt_is_data("tmpfs", "mode=1777"));
	cr_assert(mountopt_is_data("tmpfs", "size=50%"));
	cr_assert_not(mountopt_is_data("tmpfs", "size="), "an empty value");
	cr_assert_not(mountopt_is_data("tmpfs", "size=1,huge=always"), "a comma smuggles an option");
	cr_assert_not(mountopt_is_data("tmpfs", "mode=0755:x"));
	cr_assert_not(mountopt_is_data("tmpfs", "huge=always"), "not in the table");
	cr_assert(mountopt_is_data("devpts", "newinstance"));
	cr_assert(mountopt_is_data("devpts", "ptmxmode=0666"));
	cr_assert_not(mountopt_is_data("devpts", "newinstancex"));
	cr_assert(mountopt_is_data("proc", "hidepid=invisible"));
	cr_assert_not(mountopt_is_data("proc", "hidepid=In/visible"));
	cr_assert_not(mountopt_is_data("sysfs", "size=1"));
	cr_assert_not(mountopt_is_data("ext4", "size=1"));
}

Test(mountopt, flag_words_give_their_bits)
{
	unsigned long f = 0;
	cr_assert(mountopt_flag("ro", &f));
	cr_assert(mountopt_flag("nosuid", &f));
	cr_assert(mountopt_flag("nodev", &f));
	cr_assert(mountopt_flag("noexec", &f));
	cr_assert_eq(f, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
	f = 0;
	cr_assert(mountopt_flag("rw", &f));
	cr_assert(mountopt_flag("exec", &f));
	cr_assert_eq(f, 0, "the defaults set nothing");
	cr_assert_not(mountopt_flag("suid", &f));
	cr_assert_not(mountopt_flag("strictatime", &f));
}
