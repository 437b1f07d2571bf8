#!/bin/bash
# Healthy when the broker answers a Kafka ApiVersions request (v0, correlation id 7) on its
# internal listener with error code 0. Plain bash (/dev/tcp), no JVM start per check.
set -eu
exec 3<>/dev/tcp/127.0.0.1/9092
# size 10 | api key 18 (ApiVersions) | version 0 | correlation id 7 | client id: null (-1)
printf '\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x07\xff\xff' >&3
reply=$(timeout 4 head -c 10 <&3 | od -An -tx1 | tr -d ' \n')
# size (4 bytes, any) | correlation id 00000007 | error code 0000
[ "${reply:8:12}" = "000000070000" ]
