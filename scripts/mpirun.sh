#!/usr/bin/env bash
# mpirun with the settings groupshard's scripts and tests use: allowed as root
# (Open MPI refuses otherwise), oversubscription allowed (more ranks than cores),
# and no core binding (each rank runs its own worker threads).
# Usage: scripts/mpirun.sh -np N build/launch/groupshard generate ...
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
exec mpirun --oversubscribe --bind-to none "$@"
