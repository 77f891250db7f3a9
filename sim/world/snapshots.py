"""A run's state written as a board's files would hold it: STATE and DECLARED at a clock time
(with the snapshot-only columns that continue the run exactly) and the past declarations, from
a model paused there (see :func:`sim.world.restart.capture`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.world.model import APPROVAL, ARRIVE, PARK, QUARANTINE, STEPS, Model, route_keys
from sim.world.restart import LiveTruck, Start, place_of
from sim.world.schema.names import DIRECTIONS
from sim.world.state_files import DECLARED_COLUMNS, SNAPSHOT_COLUMNS, STATE_COLUMNS, clock_text


def snapshot_tables(
    model: Model, start: Start, seed: int, replication: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """STATE and DECLARED of a run paused at ``start.at_min`` (see :func:`sim.world.restart.capture`),
    as the platform and the gates would have seen them, with the snapshot-only columns."""
    sc, arr, draws = model.sc, model.arr, model.draws
    keys = route_keys(sc)
    cargos = list(sc.cargo_classes)
    as_of = clock_text(sc, start.at_min)
    reviews = {d.truck: d for d in start.declarations}
    state, declared = [], []
    for lt in start.trucks:
        i = lt.truck
        gate, route = keys[int(lt.route if lt.route is not None else draws.route[i])]
        common = {
            "as_of": as_of,
            "truck_id": f"T{i}",
            "gate": gate,
            "route": route,
            "direction": DIRECTIONS[int(arr.direction[i])],
            "cargo": cargos[int(arr.cargo[i])],
        }
        snap: dict[str, object] = {
            "seed": seed,
            "replication": replication,
            "index": i,
            "step": lt.step,
            "end_min": lt.end_min,
            "order": lt.order,
        }
        dec = reviews.get(i)
        if dec is not None:
            snap |= {
                "review_phase": dec.phase,
                "review_visit": dec.visit,
                "review_end_min": dec.end_min,
                "review_order": dec.order,
            }
        if lt.step == ARRIVE:
            declared.append(
                common
                | {
                    "declared_at": clock_text(sc, lt.since_min),
                    "expected_at": clock_text(sc, lt.end_min),
                    "approved": int(dec is None),
                }
                | snap
            )
            continue
        place, stage = _place_and_stage(lt)
        predeclared = bool(sc.platform.enabled and draws.predeclared[i])
        if lt.step == APPROVAL and not predeclared:
            stage = "declaration_counter"
        state.append(
            common
            | {
                "place": place,
                "stage": stage,
                "since": clock_text(sc, lt.since_min),
                "service_start": clock_text(sc, lt.since_min) if lt.in_service else "",
                # What the gates know by then: the channel once the declaration is processed (past
                # approval), the quarantine sample once at quarantine; the rest the forecast draws.
                "channel": ("green", "yellow", "red")[int(draws.channel[i])] if lt.step > APPROVAL else "",
                "quarantined": int(draws.quarantined[i]) if lt.step >= QUARANTINE else "",
                "approved": "" if not predeclared else int(dec is None),
                "declared": int(predeclared),
            }
            | snap
        )
    columns = [*STATE_COLUMNS, *SNAPSHOT_COLUMNS]
    dcolumns = [*DECLARED_COLUMNS, *SNAPSHOT_COLUMNS]
    return (
        pd.DataFrame(state, columns=columns),
        pd.DataFrame(declared, columns=dcolumns),
    )


def _place_and_stage(lt: LiveTruck) -> tuple[str, str]:
    place = place_of(lt, True, 0.0, lt.since_min) or "china_side"
    step = STEPS[lt.step]
    if lt.step == PARK:
        return place, "" if lt.in_park else "park"
    if place in ("china_side", "to_china"):
        return place, "china_check" if step.endswith("check") else "crossing"
    if place == "yard":
        return place, step
    return place, ""


def past_declarations(model: Model) -> pd.DataFrame:
    """The declarations of a run paused at a clock time whose expected arrival is before it, as a
    board would export them (the model's trucks arrive when they declared: lateness 0)."""
    sc, t, arr = model.sc, model.times, model.arr
    now = float(model.env.now)
    cargos = list(sc.cargo_classes)
    gates = list(sc.gates)
    sel = np.flatnonzero(~np.isnan(t["submitted_min"]) & (t["arrival_min"] < now))
    return pd.DataFrame(
        {
            "truck_id": [f"T{i}" for i in sel],
            "gate": [gates[g] for g in arr.gate[sel]],
            "direction": [DIRECTIONS[d] for d in arr.direction[sel]],
            "cargo": [cargos[c] for c in arr.cargo[sel]],
            "declared_at": [clock_text(sc, m) for m in t["submitted_min"][sel]],
            "expected_at": [clock_text(sc, m) for m in t["arrival_min"][sel]],
            "arrived_at": [clock_text(sc, m) for m in t["arrival_min"][sel]],
        }
    )
