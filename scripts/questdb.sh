#!/usr/bin/env bash
# Fetches, starts, waits for and stops a local QuestDB server for tests and CI.
#
#   bash scripts/questdb.sh fetch    download the server jar from Maven Central into the cache (once)
#   bash scripts/questdb.sh start    start it on loopback, detached, with its pid and log under the data dir
#   bash scripts/questdb.sh wait     poll the HTTP endpoint until it answers SQL, bounded
#   bash scripts/questdb.sh stop     stop the server started by `start`, bounded
#   bash scripts/questdb.sh status   print whether it runs and answers
#
# Everything is overridable by environment; docs/questdb.md lists the variables.
set -euo pipefail

readonly questdbVersion="${QUESTDB_VERSION:-9.3.4}"
# Pinned so that a new plugin release cannot change how CI fetches; 3.8.1 runs on Maven 3.6.3 and later.
readonly dependencyPluginVersion="3.8.1"
readonly cacheDir="${OCTOPUS_CACHE_DIR:-$HOME/.cache/octopus}/questdb"
readonly jarPath="$cacheDir/questdb-$questdbVersion.jar"
readonly dataDir="${QUESTDB_DATA_DIR:-/tmp/octopus-questdb}"
readonly pidFile="$dataDir/questdb.pid"
readonly logFile="$dataDir/questdb.log"
readonly bindHost="127.0.0.1"
readonly httpPort="${QUESTDB_HTTP_PORT:-9000}"
readonly pgPort="${QUESTDB_PG_PORT:-8812}"
readonly ilpTcpPort="${QUESTDB_ILP_TCP_PORT:-9009}"
readonly healthPort="${QUESTDB_HEALTH_PORT:-9003}"
readonly heapMax="${QUESTDB_HEAP_MAX:-1g}"
readonly waitTimeoutSeconds="${QUESTDB_WAIT_TIMEOUT_SECONDS:-90}"
readonly stopTimeoutSeconds="${QUESTDB_STOP_TIMEOUT_SECONDS:-30}"
readonly fetchTimeoutSeconds="${QUESTDB_FETCH_TIMEOUT_SECONDS:-600}"
readonly healthUrl="http://$bindHost:$httpPort/exec?query=select%201"

log() { printf 'questdb.sh: %s\n' "$*" >&2; }
fail() { log "error: $*"; exit 1; }

# A jar is usable when it is a complete zip holding the server's entry point; a partial download is not.
jar_is_complete() {
  [[ -s "$1" ]] && unzip -l "$1" 'io/questdb/ServerMain.class' >/dev/null 2>&1
}

cmd_fetch() {
  if jar_is_complete "$jarPath"; then
    log "jar already cached: $jarPath"
    return 0
  fi
  command -v mvn >/dev/null || fail "expected mvn on PATH to fetch QuestDB, was missing"
  mkdir -p "$cacheDir"
  # Copy into a private folder first and move into place at the end, so that an interrupted fetch
  # never leaves a truncated jar that a later run would take for a cached one.
  local stagingDir
  stagingDir="$(mktemp -d "$cacheDir/.fetch.XXXXXX")"
  log "fetching org.questdb:questdb:$questdbVersion from Maven Central into $cacheDir"
  if ! timeout "$fetchTimeoutSeconds" mvn --batch-mode --quiet --no-transfer-progress \
      "org.apache.maven.plugins:maven-dependency-plugin:$dependencyPluginVersion:copy" \
      "-Dartifact=org.questdb:questdb:$questdbVersion:jar" \
      "-DoutputDirectory=$stagingDir" \
      -Dmdep.useBaseVersion=true -Dstyle.color=never </dev/null >"$stagingDir/mvn.log" 2>&1; then
    cat "$stagingDir/mvn.log" >&2
    rm -rf "$stagingDir"
    fail "mvn dependency:copy of org.questdb:questdb:$questdbVersion failed or took over ${fetchTimeoutSeconds}s"
  fi
  jar_is_complete "$stagingDir/questdb-$questdbVersion.jar" \
    || { rm -rf "$stagingDir"; fail "expected a complete questdb-$questdbVersion.jar, was missing or corrupt"; }
  mv -f "$stagingDir/questdb-$questdbVersion.jar" "$jarPath"
  rm -rf "$stagingDir"
  log "fetched $jarPath ($(du -h "$jarPath" | cut -f1))"
}

# The Java feature release the jar was compiled for: class-file major version minus 44
# (JVMS section 4.1: 61 is Java 17, 65 is Java 21, 69 is Java 25).
required_java_major() {
  local majorHex
  majorHex="$(unzip -p "$jarPath" module-info.class | od -An -tx1 -j6 -N2 | tr -d ' \n')"
  [[ "$majorHex" =~ ^[0-9a-f]{4}$ ]] || fail "expected a module-info.class in $jarPath, was unreadable"
  echo $(( 16#$majorHex - 44 ))
}

java_major_of() {
  # `java -version` prints e.g. `openjdk version "17.0.15" 2025-04-15` or `"1.8.0_392"` for old ones.
  local versionLine
  versionLine="$("$1" -version 2>&1 | head -n 1)" || return 1
  [[ "$versionLine" =~ \"1\.([0-9]+) ]] && { echo "${BASH_REMATCH[1]}"; return 0; }
  [[ "$versionLine" =~ \"([0-9]+) ]] && { echo "${BASH_REMATCH[1]}"; return 0; }
  return 1
}

# Every JDK under /usr/lib/jvm as "major path" lines, newest major first.
installed_javas() {
  local candidate major
  for candidate in /usr/lib/jvm/*/bin/java; do
    [[ -x "$candidate" ]] || continue
    major="$(java_major_of "$candidate")" || continue
    echo "$major $candidate"
  done | sort -k1,1nr
}

# Picks the first Java that is new enough, in this order: $QUESTDB_JAVA, $JAVA_HOME, PATH, then the
# JDKs under /usr/lib/jvm from the newest major down. Paths differ between machines, so none is hard-coded.
find_java() {
  local requiredMajor="$1" candidate major
  local -a candidates=()
  [[ -n "${QUESTDB_JAVA:-}" ]] && candidates+=("$QUESTDB_JAVA")
  [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME/bin/java")
  command -v java >/dev/null && candidates+=("$(command -v java)")
  while read -r major candidate; do candidates+=("$candidate"); done < <(installed_javas)
  for candidate in "${candidates[@]}"; do
    [[ -x "$candidate" ]] || continue
    major="$(java_major_of "$candidate")" || continue
    if (( major >= requiredMajor )); then
      echo "$candidate"
      return 0
    fi
  done
  fail "expected a Java >= $requiredMajor (set QUESTDB_JAVA), was none among: ${candidates[*]:-nothing}"
}

running_pid() {
  [[ -s "$pidFile" ]] || return 1
  local pid
  pid="$(cat "$pidFile")"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

answers_sql() {
  curl --silent --fail --max-time 2 "$healthUrl" >/dev/null 2>&1
}

port_is_taken() {
  ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

cmd_start() {
  local pid
  if pid="$(running_pid)"; then
    log "already running with pid $pid"
    return 0
  fi
  jar_is_complete "$jarPath" || fail "expected the jar at $jarPath, was missing: run 'bash scripts/questdb.sh fetch'"
  local port
  for port in "$httpPort" "$pgPort" "$ilpTcpPort" "$healthPort"; do
    port_is_taken "$port" && fail "expected port $port to be free, was taken: another QuestDB or service runs"
  done
  local requiredMajor javaBin
  requiredMajor="$(required_java_major)"
  javaBin="$(find_java "$requiredMajor")"
  # QuestDB loads its native library and uses sun.misc.Unsafe; Java 24 and later warn on both unless
  # told that this module may (JEP 472, JEP 498). Older Javas do not know the second flag.
  local -a modernJavaFlags=()
  if (( $(java_major_of "$javaBin") >= 24 )); then
    modernJavaFlags=(--enable-native-access=io.questdb --sun-misc-unsafe-memory-access=allow)
  fi
  mkdir -p "$dataDir"
  : >"$logFile"
  log "starting QuestDB $questdbVersion with $javaBin (needs Java >= $requiredMajor), data in $dataDir"
  # QuestDB reads QDB_<KEY> variables as overrides of server.conf keys (dots become underscores), so the
  # data dir keeps its default server.conf and the binding stays in this one place. Every listener binds
  # to loopback only; telemetry is off because tests must not call home and CI has no internet anyway.
  # setsid detaches the server from this shell's process group, so that CI's Ctrl-C or the caller's
  # exit does not take it down mid-run; `stop` ends it explicitly.
  QDB_HTTP_NET_BIND_TO="$bindHost:$httpPort" \
  QDB_HTTP_MIN_NET_BIND_TO="$bindHost:$healthPort" \
  QDB_PG_NET_BIND_TO="$bindHost:$pgPort" \
  QDB_LINE_TCP_NET_BIND_TO="$bindHost:$ilpTcpPort" \
  QDB_LINE_UDP_ENABLED=false \
  QDB_TELEMETRY_ENABLED=false \
    setsid "$javaBin" \
      -Xms256m "-Xmx$heapMax" \
      -XX:+UseParallelGC \
      -XX:ErrorFile="$dataDir/hs_err_pid%p.log" \
      -Dnoebug \
      --add-exports java.base/jdk.internal.math=io.questdb \
      ${modernJavaFlags[@]+"${modernJavaFlags[@]}"} \
      -p "$jarPath" \
      -m io.questdb/io.questdb.ServerMain \
      -d "$dataDir" \
      </dev/null >>"$logFile" 2>&1 &
  echo "$!" >"$pidFile"
  log "started pid $(cat "$pidFile"), log in $logFile"
}

print_log_tail() {
  [[ -f "$logFile" ]] || return 0
  log "last lines of $logFile:"
  tail -n 40 "$logFile" >&2
}

cmd_wait() {
  local deadline=$(( SECONDS + waitTimeoutSeconds ))
  while (( SECONDS < deadline )); do
    if answers_sql; then
      log "answering on http://$bindHost:$httpPort"
      return 0
    fi
    # A server that died will never answer; fail now instead of waiting out the deadline.
    if [[ -s "$pidFile" ]] && ! running_pid >/dev/null; then
      print_log_tail
      fail "expected QuestDB pid $(cat "$pidFile") to be running, was gone"
    fi
    sleep 0.5
  done
  print_log_tail
  fail "expected QuestDB to answer $healthUrl within ${waitTimeoutSeconds}s, was silent"
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    log "not running"
    rm -f "$pidFile"
    return 0
  fi
  # QuestDB installs a shutdown hook on SIGTERM that closes tables cleanly; SIGKILL only if it hangs.
  kill -TERM "$pid"
  local deadline=$(( SECONDS + stopTimeoutSeconds ))
  while kill -0 "$pid" 2>/dev/null; do
    if (( SECONDS >= deadline )); then
      log "pid $pid ignored SIGTERM for ${stopTimeoutSeconds}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  rm -f "$pidFile"
  log "stopped pid $pid"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    if answers_sql; then
      echo "running pid $pid, answering on http://$bindHost:$httpPort"
    else
      echo "running pid $pid, not answering yet on http://$bindHost:$httpPort"
    fi
    return 0
  fi
  if answers_sql; then
    echo "not started by this script, but something answers on http://$bindHost:$httpPort"
    return 0
  fi
  echo "stopped"
  return 3
}

main() {
  case "${1:-}" in
    fetch) cmd_fetch ;;
    start) cmd_start ;;
    wait) cmd_wait ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    *) echo "usage: $0 {fetch|start|wait|stop|status}" >&2; exit 2 ;;
  esac
}

main "$@"
