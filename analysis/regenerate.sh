#!/usr/bin/env bash
# Regenerates every committed calibration and validation output and the docs' tables made from them.
#
#   analysis/regenerate.sh            # everything (about 95 minutes on 2 cores, see docs/calibration.md)
#   analysis/regenerate.sh validate   # one step: calibrate | history | leadtime | validate | year | overnight | library | kpis | glossary | screen | backtest
#
# Each step writes to a temporary file or folder and moves it into place only when it finished, so an
# interrupted step leaves the previous output whole. Seeds are fixed: the same commit gives the same
# numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(calibrate history leadtime validate year overnight library kpis glossary screen backtest)

# Writes the standard output of a command to FILE only when the command succeeds.
to_file() {
  local file=$1
  shift
  "$@" >"$file.partial"
  mv "$file.partial" "$file"
}

timed() {
  local name=$1
  shift
  local t0=$SECONDS
  "$@"
  echo "step $name took $((SECONDS - t0)) s" >&2
}

for step in "${steps[@]}"; do
  case $step in
    calibrate)
      timed calibrate bordersim calibrate scenarios/baseline.yaml --targets scenarios/targets.yaml --set run.days=56 -n 4 \
        --jobs "$JOBS" -o calibration --force --readme docs/calibration.md ;;
    history)
      # After calibrate: that step replaces the whole calibration/ folder, this one included.
      timed history bordersim calibrate scenarios/baseline.yaml --targets scenarios/targets.yaml \
        --ranges scenarios/ranges.yaml --waves 3 --runs-per-wave 40 -n 2 --days 35 --jobs "$JOBS" \
        -o calibration/history --force --readme docs/uncertainty.md ;;
    leadtime)
      timed leadtime to_file /tmp/bordersim_leadtime.log python analysis/fit_lead_time.py ;;
    validate)
      timed validate bordersim validate --jobs "$JOBS" -o validation/results --force --readme docs/validation.md ;;
    year)
      timed year to_file analysis/baseline_2025.md python analysis/baseline_2025.py -n 10 --seed 0 \
        --monthly-csv analysis/baseline_2025_monthly.csv ;;
    overnight)
      timed overnight to_file analysis/overnight_hold.md python analysis/overnight_hold.py -n 6 --days 28 \
        --jobs "$JOBS" ;;
    library)
      timed library bordersim table scenarios/{baseline,chinese_slowdown,direct_transport,fruit_harvest_peak,more_lanes_huu_nghi,no_predeclaration,round_the_clock,smart_border_gate,tet_closure}.yaml \
        --jobs "$JOBS" --readme docs/scenarios.md --figure docs/scenario_table.png ;;
    kpis)
      timed kpis bordersim kpis --readme docs/reference/kpis.md >/dev/null ;;
    glossary)
      timed glossary to_file docs/glossary.md python -c \
        "from sim.presentation.glossary import glossary_markdown; print(glossary_markdown(), end='')" ;;
    screen)
      timed screen bordersim screen scenarios/baseline.yaml --ranges scenarios/ranges.yaml -r 10 --days 28 \
        --jobs "$JOBS" -o analysis/screen --force --readme docs/uncertainty.md ;;
    backtest)
      # The forecast's backtests (docs/forecasting.md): own truths, the ensemble's, a shock, lead times.
      B="bordersim backtest scenarios/baseline.yaml --force -q --readme docs/forecasting.md"
      timed backtest $B --cuts 30 -n 40 -o results/backtest
      cp results/backtest/plots/coverage.png docs/forecast_coverage.png
      timed backtest-ensemble $B --cuts 20 -n 20 --ensemble calibration/history/ensemble.parquet \
        --block forecast-backtest-ensemble -o results/backtest_ensemble
      timed backtest-ensemble-forecast $B --cuts 20 -n 20 --ensemble calibration/history/ensemble.parquet \
        --forecast-ensemble --block forecast-backtest-ensemble-forecast -o results/backtest_ensemble_forecast
      timed backtest-shock $B --cuts 20 -n 20 --shock 0.7 --block forecast-backtest-shock -o results/backtest_shock
      for lead in 6 12 24; do
        timed "backtest-lead$lead" $B --cuts 20 -n 20 --set "platform.lead_time_h={dist: lognormal, mean: $lead, cv: 0.8}" \
          --block "forecast-backtest-lead$lead" -o "results/backtest_lead$lead"
      done ;;
    *)
      echo "unknown step '$step': use calibrate, history, leadtime, validate, year, overnight, library, kpis, glossary, screen or backtest" >&2
      exit 2 ;;
  esac
done
