#!/bin/bash
# The shell twin of bench-hook-stamp (hotplug-to-hook benchmark): bash's $EPOCHREALTIME
# (CLOCK_REALTIME in microseconds, no fork) is its first act; card-removed and card-added
# append "EVENT NANOSECONDS" to $BENCH_HOOK_STAMPS.
t=$EPOCHREALTIME
case $1 in
  card-removed|card-added) echo "$1 ${t//[.,]/}000" >>"$BENCH_HOOK_STAMPS" ;;
esac
