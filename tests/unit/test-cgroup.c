/* Who runs a process, from its cgroup (explain/cgroup.h): the systemd unit
 * and the container, by the names systemd and the container runtimes give
 * their cgroups. */
#include "explain/cgroup.h"
#include "unit.h"

static const char *unit_of(const char *path)
{
	static char out[256];
	return umh_cgroup_unit(path, out, sizeof(out)) == 0 ? out : NULL;
}

static const char *container_of(const char *path)
{
	static char out[256];
	return umh_cgroup_container(path, out, sizeof(out)) == 0 ? out : NULL;
}

static const char *path_of(const char *file)
{
	static char out[256];
	return umh_cgroup_path(file, out, sizeof(out)) == 0 ? out : NULL;
}

int main(void)
{
	/* /proc/PID/cgroup */
	CHECK_STR(path_of("0::/system.slice/ntp.service\n"), "/system.slice/ntp.service", "unified hierarchy");
	CHECK_STR(path_of("12:pids:/x\n1:name=systemd:/system.slice/cron.service\n0::/\n"), "/system.slice/cron.service",
		  "hybrid: systemd's named hierarchy where the unified one says only /");
	CHECK_STR(path_of("0::/umh-sd.1/system.slice/a.service\n1:name=systemd:/other\n"),
		  "/umh-sd.1/system.slice/a.service", "unified wins where it says something");
	CHECK_STR(path_of("5:cpu:/a\n"), NULL, "neither: nothing");

	/* Units */
	CHECK_STR(unit_of("/system.slice/ntp.service"), "ntp.service", "a service");
	CHECK_STR(unit_of("/user.slice/user-1000.slice/session-2.scope"), "session-2.scope", "a session scope");
	CHECK_STR(unit_of("/system.slice/docker.service/sub"), "docker.service", "a service's sub-cgroup");
	CHECK_STR(unit_of("/umh-sd.XY/system.slice/privtmp.service"), "privtmp.service", "under a cgroup namespace's root");
	CHECK_STR(unit_of("/system.slice/docker-3f2a9c0d1e4b5a6b.scope"), "docker-3f2a9c0d1e4b5a6b.scope",
		  "a container's scope is a unit too");
	CHECK_STR(unit_of("/init.scope"), "init.scope", "init.scope");
	CHECK_STR(unit_of("/"), NULL, "the root names none");
	CHECK_STR(unit_of("/user.slice"), NULL, "a slice alone names none");

	/* Containers */
	CHECK_STR(container_of("/system.slice/docker-3f2a9c0d1e4b5a6b7c8d.scope"), "docker 3f2a9c0d1e4b",
		  "docker with systemd's cgroup driver");
	CHECK_STR(container_of("/docker/3f2a9c0d1e4b5a6b7c8d"), "docker 3f2a9c0d1e4b", "docker with cgroupfs");
	CHECK_STR(container_of("/machine.slice/libpod-0123456789abcdef.scope"), "podman 0123456789ab", "podman");
	CHECK_STR(container_of("/system.slice/containerd.service/cri-containerd-aabbccddeeff0011.scope"),
		  "containerd aabbccddeeff", "containerd");
	CHECK_STR(container_of("/kubepods.slice/kubepods-burstable.slice/"
			       "kubepods-burstable-pod1234abcd_5678.slice/cri-containerd-aabbcc.scope"),
		  "kubernetes pod 1234abcd_567", "a kubernetes pod (systemd driver)");
	CHECK_STR(container_of("/kubepods/burstable/pod1234abcd-5678/aabbccddeeff"), "kubernetes pod 1234abcd-567",
		  "a kubernetes pod (cgroupfs driver)");
	CHECK_STR(container_of("/lxc.payload.web1"), "lxc web1", "lxc");
	CHECK_STR(container_of("/machine.slice/machine-test\\x2dvm.scope"), "machine test\\x2dvm", "systemd-nspawn");
	CHECK_STR(container_of("/system.slice/ntp.service"), NULL, "a plain service is no container");
	CHECK_STR(container_of("/user.slice/user-1000.slice/session-2.scope"), NULL, "nor a session");
	UNIT_EXIT();
}
