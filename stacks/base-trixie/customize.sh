#!/bin/sh
# Turns a fresh `debootstrap --variant=minbase` tree into a Berth base root filesystem.
# Run by the stack builder on the host as root: customize.sh ROOTFS SUITE MIRROR SECURITY_MIRROR
set -eu
ROOTFS=$1 SUITE=$2 MIRROR=$3 SECURITY=$4
. "$(dirname "$0")/../base-common/customize-common.sh"
