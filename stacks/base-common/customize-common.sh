# Shared steps of every base recipe (sourced by stacks/base-*/customize.sh with ROOTFS, SUITE,
# MIRROR and SECURITY set). Keeps the tree small and gives it the Berth container contract.

# Apt sources: the suite, its updates and its security updates, so stacks get fixed packages.
cat > "$ROOTFS/etc/apt/sources.list" <<SOURCES
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY $SUITE-security main
SOURCES

# Stacks installed on top never carry docs, man pages or translations.
mkdir -p "$ROOTFS/etc/dpkg/dpkg.cfg.d" "$ROOTFS/etc/apt/apt.conf.d"
cat > "$ROOTFS/etc/dpkg/dpkg.cfg.d/berth-nodoc" <<'DPKG'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-exclude=/usr/share/lintian/*
DPKG
cat > "$ROOTFS/etc/apt/apt.conf.d/berth-slim" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
APT

# The task user and the directories the executor mounts tmpfs over.
chroot "$ROOTFS" /usr/sbin/groupadd --gid 10001 berth
chroot "$ROOTFS" /usr/sbin/useradd --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /bin/sh berth
mkdir -p "$ROOTFS/task"
chown 10001:10001 "$ROOTFS/task"
chmod 1777 "$ROOTFS/tmp"

# Size: drop apt caches and lists, docs, man pages and translations already installed.
rm -rf "$ROOTFS"/var/cache/apt/* "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/*.log \
  "$ROOTFS"/var/cache/debconf/*-old "$ROOTFS"/var/lib/dpkg/*-old
find "$ROOTFS/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/locale/* "$ROOTFS"/usr/share/lintian/*
