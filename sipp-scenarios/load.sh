#!/usr/bin/env bash
# Load test of the engine with SIPp (sipp-scenarios/README.md explains the procedure):
# starts the release engine on the demo config in a temp dir, registers agent 2001,
# serves it with load-agent.xml, ramps load-caller.xml from the carrier's address
# through the engine, then runs the same caller straight against a SIPp agent
# (SIPp -> SIPp reference), and prints failed-call percentages per rate and the
# engine's CPU% and RSS at about 100 concurrent calls. Loopback only, bounded time.
#
# Usage: sipp-scenarios/load.sh            (from the repository root)
# Knobs (environment): RATES="20 50 100 150 200"  STEP_S=15  CALL_MS=1000
#   SIP_PORT=5060 HTTP_PORT=8080 (the engine's; the demo's by default)
#   AGENT_PORT=16001 REF_AGENT_PORT=16002 CALLER_PORT=16100  CENTRALINO_BIN=path
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
RATES=${RATES:-"20 50 100 150 200"}
STEP_S=${STEP_S:-15}
CALL_MS=${CALL_MS:-1000}
SIP_PORT=${SIP_PORT:-5060}
HTTP_PORT=${HTTP_PORT:-8080}
AGENT_PORT=${AGENT_PORT:-16001}
REF_AGENT_PORT=${REF_AGENT_PORT:-16002}
CALLER_PORT=${CALLER_PORT:-16100}
BIN=${CENTRALINO_BIN:-$ROOT/target/release/centralino}
WORK=$(mktemp -d /tmp/centralino-load.XXXXXX)
PIDS=()

die() { echo "load.sh: $*" >&2; exit 1; }
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

for tool in sipp timeout awk; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
[[ -x "$BIN" ]] || die "no engine binary at $BIN (cargo build --release -p centralino)"

# 1. The engine on a scratch copy of the demo config (SIP/HTTP ports may be moved).
mkdir -p "$WORK/run/config"
sed -e "s/listen = \"127.0.0.1:5060\"/listen = \"127.0.0.1:$SIP_PORT\"/" \
    -e "s/listen = \"127.0.0.1:8080\"/listen = \"127.0.0.1:$HTTP_PORT\"/" \
    "$ROOT/config/centralino.toml" >"$WORK/run/config/centralino.toml"
[[ -d "$ROOT/prompts" ]] && cp -r "$ROOT/prompts" "$WORK/run/"
( cd "$WORK/run" && exec env CENTRALINO_LOG=${CENTRALINO_LOG:-warn} timeout 600 "$BIN" ) >"$WORK/engine.log" 2>&1 &
ENGINE_WRAPPER=$!
PIDS+=("$ENGINE_WRAPPER")
ENGINE="127.0.0.1:$SIP_PORT"
for _ in $(seq 1 100); do
  ENGINE_PID=$(pgrep -P "$ENGINE_WRAPPER" || true)
  [[ -n "$ENGINE_PID" ]] && ss -Hlun "sport = :$SIP_PORT" 2>/dev/null | grep -q . && break
  kill -0 "$ENGINE_WRAPPER" 2>/dev/null || { tail -20 "$WORK/engine.log" >&2; die "engine exited at start"; }
  sleep 0.2
done
[[ -n "${ENGINE_PID:-}" ]] || die "engine did not start"
sleep 0.5

# 2. Agent 2001 registers (digest) with its Contact on AGENT_PORT.
printf 'SEQUENTIAL\n2001;pw2001;%s\n' "$AGENT_PORT" >"$WORK/agent.csv"
timeout 20 sipp -sf "$HERE/register.xml" -inf "$WORK/agent.csv" -au '[field0]' -ap '[field1]' \
  -i 127.0.0.1 -p "$CALLER_PORT" "$ENGINE" -m 1 -nostdin -timeout 15 -timeout_error >"$WORK/register.out" 2>&1 ||
  die "agent 2001 did not register (see $WORK/register.out)"

# 3. The agents: one behind the engine, one for the SIPp -> SIPp reference. SIPp takes
#    four ports from -mp (audio RTP/RTCP, video RTP/RTCP), hence media ports 10 apart.
timeout 600 sipp -sf "$HERE/load-agent.xml" -i 127.0.0.1 -p "$AGENT_PORT" -mp 16200 -nostdin \
  -trace_err -error_file "$WORK/agent.err" >"$WORK/agent.out" 2>&1 &
PIDS+=($!)
timeout 600 sipp -sf "$HERE/load-agent.xml" -i 127.0.0.1 -p "$REF_AGENT_PORT" -mp 16210 -nostdin \
  -trace_err -error_file "$WORK/ref-agent.err" >"$WORK/ref-agent.out" 2>&1 &
PIDS+=($!)
sleep 0.5
for p in "${PIDS[@]:1}"; do kill -0 "$p" 2>/dev/null || die "a SIPp agent did not start (see $WORK/*agent.out, *agent.err)"; done

ticks() { awk '{print $14 + $15}' "/proc/$ENGINE_PID/stat"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$ENGINE_PID/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$ENGINE_PID/status"; }
HZ=$(getconf CLK_TCK)

# step TARGET RATE LABEL: RATE calls/s for STEP_S seconds; prints "attempted ok failed"
# (SIPp's -timeout ends a step at STEP_S + 8 s whatever happens).
step() {
  local target=$1 rate=$2 label=$3 calls=$(( $2 * STEP_S ))
  timeout $((STEP_S + 15)) sipp -sf "$HERE/load-caller.xml" -s 2001 -i 127.0.0.11 -p "$CALLER_PORT" -mp 16300 \
    "$target" -r "$rate" -d "$CALL_MS" -m "$calls" -l $((rate * 4 + 50)) -nostdin -timeout $((STEP_S + 8)) \
    -trace_err -error_file "$WORK/$label.err" >"$WORK/$label.out" 2>&1 || true
  local ok failed
  [[ -s "$WORK/$label.out" ]] || { echo "$calls 0 $calls"; return; }
  ok=$(awk -F'|' '/Successful call/ {gsub(/ /,"",$3); v=$3} END {print v+0}' "$WORK/$label.out")
  # Calls still unfinished when the step's time is up count as failed too.
  failed=$(( calls - ok ))
  echo "$calls $ok $failed"
}

declare -A ENG REF
CPU="" RSS="" HWM=""
for rate in $RATES; do
  if [[ "$rate" == 100 ]]; then
    # Sample the engine's CPU and memory in the middle of the 100 CPS step (~100 calls up).
    ( sleep 4; t0=$(ticks); s0=$(date +%s.%N); sleep 8; t1=$(ticks); s1=$(date +%s.%N)
      echo "$(awk -v a="$t0" -v b="$t1" -v x="$s0" -v y="$s1" -v hz="$HZ" 'BEGIN {printf "%.1f", (b-a)/hz/(y-x)*100}') $(rss_kb)" \
        >"$WORK/sample" ) &
    sampler=$!
  fi
  ENG[$rate]=$(step "$ENGINE" "$rate" "engine-$rate")
  echo "engine    $rate cps: ${ENG[$rate]} (attempted ok failed)" >&2
  if [[ "$rate" == 100 ]]; then wait "$sampler" || true; read -r CPU RSS <"$WORK/sample" || true; fi
  sleep 2
done
HWM=$(hwm_kb)
for rate in $RATES; do
  REF[$rate]=$(step "127.0.0.1:$REF_AGENT_PORT" "$rate" "ref-$rate")
  echo "reference $rate cps: ${REF[$rate]} (attempted ok failed)" >&2
  sleep 1
done

pct() { awk -v a="$1" -v f="$2" 'BEGIN { if (a == 0) print "n/a"; else printf "%.2f%%", f * 100 / a }'; }
echo
echo "Centralino load test: load-caller.xml from 127.0.0.11 -> agent 2001 (load-agent.xml), ${CALL_MS} ms calls, ${STEP_S} s per step"
printf '%-6s | %-31s | %-31s\n' "CPS" "through the engine" "SIPp -> SIPp reference"
printf '%-6s | %-31s | %-31s\n' "" "calls   ok      failed  fail%" "calls   ok      failed  fail%"
for rate in $RATES; do
  read -r a1 o1 f1 <<<"${ENG[$rate]}"; read -r a2 o2 f2 <<<"${REF[$rate]}"
  printf '%-6s | %-7s %-7s %-7s %-7s | %-7s %-7s %-7s %-7s\n' "$rate" "$a1" "$o1" "$f1" "$(pct "$a1" "$f1")" "$a2" "$o2" "$f2" "$(pct "$a2" "$f2")"
done
echo
echo "engine at ~100 concurrent calls (100 CPS x ${CALL_MS} ms): CPU ${CPU:-n/a}% of one core, RSS ${RSS:-n/a} kB (peak RSS over the run ${HWM:-n/a} kB)"
echo "work folder (engine log, SIPp outputs and errors): $WORK"
