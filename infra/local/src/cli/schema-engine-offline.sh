#!/bin/sh
# Stand-in for Prisma's native schema engine, which is downloaded from binaries.prisma.sh on first
# use and so is missing on an offline machine. `prisma generate` only checks that the file exists.
echo "The native Prisma schema engine is not installed (it is downloaded from binaries.prisma.sh)." >&2
echo "Use 'course-prisma migrate deploy' or 'course-prisma migrate create <name>' instead." >&2
exit 1
