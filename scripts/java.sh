#!/usr/bin/env bash
# A Java runtime for the local Spark session (`make test-spark`). Idempotent: does nothing when `java` is on
# PATH or JAVA_HOME is set; otherwise installs Debian's headless OpenJDK 17 (needs root or sudo).
set -euo pipefail

if command -v java >/dev/null 2>&1 || [ -n "${JAVA_HOME:-}" ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "java.sh: no Java and not root (no sudo); install openjdk-17-jre-headless yourself" >&2
    exit 1
  fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "java.sh: no Java and no apt-get here; install a Java 17 runtime with your package manager" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null
java -version
