"""The exact allocation search's numba kernel: a depth-first search over canonical solutions,
iterative, so that it compiles once, caches, and can stop and resume between calls.

The ideas are MiniMalloc's (Moffitt, ASPLOS 2023; google/minimalloc):

* **Canonical solutions.** Any packing can be pushed down until every buffer rests at address 0
  or on a buffer it meets in time. Listing the buffers by (offset, preorder position) then
  places each at the top of the buffers already placed that it meets (its *minimum offset*), so
  the search only chooses the next buffer, never an address, and only in increasing
  (offset, position) order.
* **Section inference.** In each section, the buffers still to place stack above both the
  section's floor (its highest placed buffer, or the lowest minimum offset of its unplaced
  buffers) and the current offset; if that pile passes the capacity the branch fails. Checked
  incrementally: floors only against the sections a placement changed (the others held
  before), the current offset against every section only once it could matter, and before
  placing anything, since that test needs no placement.
* **Dominance.** A buffer whose minimum offset plus size is at or below the next offset could
  drop into the gap below, so branches placing anything at or above that height are skipped.
* **Full rows** (our addition, for problems whose every section is full, like the tight
  generator's strips). With no spare room, each section is filled without a gap from its
  floor up, so a row at a floor must be covered by buffers placed exactly there: at each node
  every full section at the current offset needs an unplaced buffer that may still go there
  under the canonical order (:func:`_floor_row_covered`), and after each placement the row at
  the floor of every changed full section must be tileable, across its basin, by disjoint
  unplaced buffers (:func:`_basin_row_tiles`). Both only ever cut branches with no packing.
* **Temporal decomposition.** When a placement leaves no unplaced buffer crossing a section
  boundary, the two sides are independent: each is solved on its own (a *split* frame) and a
  failure on one side fails the branch without retrying the other.

State layout (struct of arrays; all int64): per buffer ``offset`` (-1 unplaced), ``min_offset``,
``solution`` (the offset of each buffer's latest placement: the answer once solved); per
section ``floor`` and ``total`` (unplaced bytes); per boundary ``cuts`` (unplaced buffers
crossing); ``is_full`` flags the sections the full-row checks watch (all of them, or none),
``full_sections`` lists them, ``reach`` is the basin walk's scratch. ``frames[d]`` is one
search or split frame (columns ``C_*``). ``trail`` records every
changed ``min_offset`` and ``floor`` so a placement is undone exactly. ``arena`` holds the
frames' lists (partition buffers in preorder, candidate orderings, cut points), freed in stack
order. ``registers`` hold the scalars (``R_*``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

SEARCH, SPLIT = 0, 1
FRESH, RESUMED = 0, 1
FOUND, NOT_FOUND = 1, 0

(C_KIND, C_PHASE, C_LO, C_HI, C_PRE, C_NPRE, C_SRC, C_NSRC, C_ORD, C_NORD, C_CUR, C_MIN_OFFSET,
 C_MIN_POSITION, C_MIN_HEIGHT, C_TRAIL, C_BUFFER, C_ARENA, C_CUT, C_NCUT, C_MAX_TOTAL,
 C_HOT) = range(21)
N_COLUMNS = 21

R_DEPTH, R_TRAIL, R_ARENA, R_NODES, R_BACKTRACKS, R_STAMP, R_OUTCOME = range(7)
N_REGISTERS = 7

RUNNING, SOLVED, INFEASIBLE, PAUSED, NEED_ARENA, NEED_TRAIL = range(6)

HEURISTIC_CODES = {"W": 0, "A": 1, "T": 2}
"""Preordering keys, all decreasing: W the live range's length, A its area (length x size),
T the largest unplaced total of the sections the buffer spans."""

_NO_OFFSET = np.int64(2**62)


@njit(cache=True)
def _place(b: int, o: int, size: np.ndarray, sec_lo: np.ndarray, sec_hi: np.ndarray,
           sec_ptr: np.ndarray, sec_buf: np.ndarray, ov_ptr: np.ndarray, ov_buf: np.ndarray,
           alignment: int, offset: np.ndarray, min_offset: np.ndarray, solution: np.ndarray,
           floor: np.ndarray, total: np.ndarray, cuts: np.ndarray, trail: np.ndarray,
           registers: np.ndarray, sec_mark: np.ndarray, affected: np.ndarray) -> int:
    """Place ``b`` at ``o``, recording on the trail what to undo; return how many sections
    (listed first in ``affected``) had an unplaced buffer's minimum offset raised."""
    offset[b] = o
    solution[b] = o
    height = o + size[b]
    tp = registers[R_TRAIL]
    registers[R_STAMP] += 1
    stamp = registers[R_STAMP]
    n_affected = 0
    for k in range(ov_ptr[b], ov_ptr[b + 1]):
        j = ov_buf[k]
        if offset[j] < 0 and min_offset[j] < height:
            trail[tp, 0] = 0
            trail[tp, 1] = j
            trail[tp, 2] = min_offset[j]
            tp += 1
            rest = height % alignment
            min_offset[j] = height if rest == 0 else height + alignment - rest
            for s in range(sec_lo[j], sec_hi[j]):
                if sec_mark[s] != stamp:
                    sec_mark[s] = stamp
                    affected[n_affected] = s
                    n_affected += 1
    for s in range(sec_lo[b], sec_hi[b]):
        trail[tp, 0] = 1
        trail[tp, 1] = s
        trail[tp, 2] = floor[s]
        tp += 1
        if floor[s] < height:
            floor[s] = height
        total[s] -= size[b]
    # A section's floor is at least the lowest minimum offset among its unplaced buffers.
    for a in range(n_affected):
        s = affected[a]
        lowest = _NO_OFFSET
        for k in range(sec_ptr[s], sec_ptr[s + 1]):
            j = sec_buf[k]
            if offset[j] < 0 and min_offset[j] < lowest:
                lowest = min_offset[j]
        if lowest != _NO_OFFSET and floor[s] < lowest:
            trail[tp, 0] = 1
            trail[tp, 1] = s
            trail[tp, 2] = floor[s]
            tp += 1
            floor[s] = lowest
    for s in range(sec_lo[b], sec_hi[b] - 1):
        cuts[s] -= 1
    registers[R_TRAIL] = tp
    return n_affected


@njit(cache=True)
def _undo(b: int, mark: int, size: np.ndarray, sec_lo: np.ndarray, sec_hi: np.ndarray,
          offset: np.ndarray, min_offset: np.ndarray, floor: np.ndarray, total: np.ndarray,
          cuts: np.ndarray, trail: np.ndarray, registers: np.ndarray) -> None:
    tp = registers[R_TRAIL]
    while tp > mark:
        tp -= 1
        if trail[tp, 0] == 0:
            min_offset[trail[tp, 1]] = trail[tp, 2]
        else:
            floor[trail[tp, 1]] = trail[tp, 2]
    registers[R_TRAIL] = tp
    for s in range(sec_lo[b], sec_hi[b]):
        total[s] += size[b]
    for s in range(sec_lo[b], sec_hi[b] - 1):
        cuts[s] += 1
    offset[b] = -1


@njit(cache=True)
def _rises_above(b: int, o: int, lo: int, hi: int, hot: int, size: np.ndarray,
                 sec_lo: np.ndarray, sec_hi: np.ndarray, total: np.ndarray,
                 capacity: int) -> int:
    """The first section of ``[lo, hi)`` where the bytes left to place, stacked from ``o``
    once ``b`` is placed, pass the capacity (``hot`` is tried first: the section that failed
    last time usually fails again); -1 when there is none."""
    for k in range(-1, hi - lo):
        s = hot if k < 0 else lo + k
        if s < 0:
            continue
        left = total[s] - size[b] if sec_lo[b] <= s < sec_hi[b] else total[s]
        if o + left > capacity:
            return s
    return -1


@njit(cache=True)
def _floors_fit(b: int, n_affected: int, sec_lo: np.ndarray, sec_hi: np.ndarray,
                floor: np.ndarray, total: np.ndarray, affected: np.ndarray,
                capacity: int) -> bool:
    """Whether every section whose floor the placement of ``b`` raised still holds its
    unplaced bytes above that floor (the other sections are as they were, and held)."""
    for s in range(sec_lo[b], sec_hi[b]):
        if floor[s] + total[s] > capacity:
            return False
    for a in range(n_affected):
        s = affected[a]
        if floor[s] + total[s] > capacity:
            return False
    return True


@njit(cache=True)
def _floor_row_covered(o: int, p: int, lo: int, hi: int, order: int, m: int, pre: int,
                       arena: np.ndarray, min_offset: np.ndarray, sec_lo: np.ndarray,
                       sec_hi: np.ndarray, floor: np.ndarray, total: np.ndarray,
                       capacity: int, alignment: int, registers: np.ndarray,
                       sec_mark: np.ndarray, full_sections: np.ndarray) -> bool:
    """Whether every full section that must be covered at the current offset ``o`` can be.

    Why it holds: a full section ``s`` with ``floor[s] <= o`` has nothing placed over address
    ``o``, and everything left in it goes at ``o`` or above. If less than one alignment step
    is spare above ``o`` (``o + alignment + total[s] > capacity``), address ``o`` must be
    covered, by an unplaced buffer of ``s`` placed at exactly ``o`` (offsets are aligned, and
    ``o`` is). A buffer can land at ``o`` only if its minimum offset is ``o`` now (placements
    from here on raise it above ``o``), and, canonical order being (offset, position), only
    if its position is at least ``p``. When no such buffer spans ``s``, the branch is dead,
    though the section floors alone do not show it: the blocked buffers still count as
    lowest there.
    """
    needed = False
    for k in range(full_sections.shape[0]):
        s = full_sections[k]
        if lo <= s < hi and total[s] > 0 and floor[s] <= o \
                and o + alignment + total[s] > capacity:
            needed = True
            break
    if not needed:
        return True
    registers[R_STAMP] += 1
    stamp = registers[R_STAMP]
    for k in range(m):
        position = arena[order + k]
        b = arena[pre + position]
        if min_offset[b] > o:
            break
        if min_offset[b] == o and position >= p:
            for s in range(sec_lo[b], sec_hi[b]):
                sec_mark[s] = stamp
    for k in range(full_sections.shape[0]):
        s = full_sections[k]
        if lo <= s < hi and total[s] > 0 and floor[s] <= o and sec_mark[s] != stamp \
                and o + alignment + total[s] > capacity:
            return False
    return True


@njit(cache=True)
def _basin_row_tiles(s: int, lo: int, hi: int, offset: np.ndarray, min_offset: np.ndarray,
                     sec_lo: np.ndarray, sec_hi: np.ndarray, sec_ptr: np.ndarray,
                     sec_buf: np.ndarray, floor: np.ndarray, total: np.ndarray,
                     capacity: int, alignment: int, stamp: int, registers: np.ndarray,
                     sec_mark: np.ndarray, reach: np.ndarray) -> bool:
    """Whether the row at section ``s``'s floor can still be tiled across its basin.

    Let ``m = floor[s]`` and the *basin* be the widest run of sections around ``s`` with
    unplaced buffers and floors at most ``m``. Why the test holds: every unplaced buffer goes
    at or above the floor of each section it spans, so a section ``x`` of the basin with
    ``floor[x] == m`` and no spare room (``m + total[x] == capacity``) is exactly filled from
    ``m`` up: some unplaced buffer sits at exactly ``m`` over ``x``. That buffer's sections all
    have floors at most ``m``, so it lies inside the basin; two buffers at ``m`` are disjoint
    in time. Hence a set of disjoint unplaced buffers inside the basin, each with minimum
    offset at most ``m``, must cover every such section (the others may be left open): a walk
    over the basin's sections (``reach``) finds out. Each basin is checked once per call
    (``sec_mark`` holds ``stamp`` for the sections whose floor is its level).
    """
    if total[s] == 0 or sec_mark[s] == stamp:
        return True
    m = floor[s]
    left = s
    while left - 1 >= lo and total[left - 1] > 0 and floor[left - 1] <= m:
        left -= 1
    right = s + 1
    while right < hi and total[right] > 0 and floor[right] <= m:
        right += 1
    must_cover = False
    for x in range(left, right):
        if floor[x] == m:
            sec_mark[x] = stamp
            if m + total[x] >= capacity:
                must_cover = True
    if not must_cover:
        return True
    placeable = m % alignment == 0
    registers[R_STAMP] += 1
    walk = registers[R_STAMP]
    reach[left] = walk
    for x in range(left, right):
        if reach[x] != walk:
            continue
        if floor[x] < m or m + total[x] < capacity:
            reach[x + 1] = walk
        if placeable:
            for k in range(sec_ptr[x], sec_ptr[x + 1]):
                j = sec_buf[k]
                if offset[j] < 0 and sec_lo[j] == x and sec_hi[j] <= right \
                        and min_offset[j] <= m:
                    reach[sec_hi[j]] = walk
    return reach[right] == walk


@njit(cache=True)
def _basins_tile(b: int, n_affected: int, lo: int, hi: int, offset: np.ndarray,
                 min_offset: np.ndarray, sec_lo: np.ndarray, sec_hi: np.ndarray,
                 sec_ptr: np.ndarray, sec_buf: np.ndarray, floor: np.ndarray,
                 total: np.ndarray, affected: np.ndarray, capacity: int, alignment: int,
                 registers: np.ndarray, sec_mark: np.ndarray, reach: np.ndarray,
                 is_full: np.ndarray) -> bool:
    """:func:`_basin_row_tiles` for the full sections that the placement of ``b`` changed
    (its own, their neighbours, and those whose buffers' minimum offsets rose); the other
    basins were checked before and are as they were."""
    registers[R_STAMP] += 1
    stamp = registers[R_STAMP]
    for s in range(max(lo, sec_lo[b] - 1), min(hi, sec_hi[b] + 1)):
        if is_full[s] and not _basin_row_tiles(s, lo, hi, offset, min_offset, sec_lo, sec_hi,
                                               sec_ptr, sec_buf, floor, total, capacity,
                                               alignment, stamp, registers, sec_mark, reach):
            return False
    for a in range(n_affected):
        s = affected[a]
        if is_full[s] and lo <= s < hi and not _basin_row_tiles(
                s, lo, hi, offset, min_offset, sec_lo, sec_hi, sec_ptr, sec_buf, floor, total,
                capacity, alignment, stamp, registers, sec_mark, reach):
            return False
    return True


@njit(cache=True)
def _preorder(buffers: np.ndarray, heuristic: np.ndarray, width: np.ndarray, area: np.ndarray,
              sec_lo: np.ndarray, sec_hi: np.ndarray, total: np.ndarray) -> np.ndarray:
    """``buffers`` sorted by the heuristic's keys, each decreasing, ties by buffer index."""
    ordered = np.sort(buffers)
    key = np.empty(ordered.shape[0], dtype=np.float64)
    for h in range(heuristic.shape[0] - 1, -1, -1):
        for i in range(ordered.shape[0]):
            b = ordered[i]
            if heuristic[h] == 0:
                key[i] = -float(width[b])
            elif heuristic[h] == 1:
                key[i] = -area[b]
            else:
                most = 0
                for s in range(sec_lo[b], sec_hi[b]):
                    most = max(most, total[s])
                key[i] = -float(most)
        ordered = ordered[np.argsort(key, kind="mergesort")]
    return ordered


@njit(cache=True)
def search(size: np.ndarray, width: np.ndarray, area: np.ndarray, sec_lo: np.ndarray,
           sec_hi: np.ndarray, sec_ptr: np.ndarray, sec_buf: np.ndarray, ov_ptr: np.ndarray,
           ov_buf: np.ndarray, heuristic: np.ndarray, capacity: int, alignment: int,
           offset: np.ndarray, min_offset: np.ndarray, solution: np.ndarray, floor: np.ndarray,
           total: np.ndarray, cuts: np.ndarray, frames: np.ndarray, trail: np.ndarray,
           arena: np.ndarray, registers: np.ndarray, sec_mark: np.ndarray,
           affected: np.ndarray, reach: np.ndarray, full_sections: np.ndarray,
           is_full: np.ndarray, node_stop: int) -> int:
    """Run the search from its saved state until it ends or ``registers[R_NODES]`` reaches
    ``node_stop``.

    :return: ``SOLVED`` (``solution`` holds the packing), ``INFEASIBLE`` (the whole space was
        searched), ``PAUSED`` (node budget reached; call again to go on), or ``NEED_ARENA`` /
        ``NEED_TRAIL`` (give a larger array, keeping the contents, and call again).
    """
    n = size.shape[0]
    n_sections = floor.shape[0]
    while True:
        d = registers[R_DEPTH]
        if arena.shape[0] - registers[R_ARENA] < 3 * n + n_sections + 4:
            return NEED_ARENA
        if trail.shape[0] - registers[R_TRAIL] < n + 2 * n_sections + 2:
            return NEED_TRAIL
        if registers[R_NODES] >= node_stop:
            return PAUSED
        ap = registers[R_ARENA]
        outcome = -1
        if frames[d, C_KIND] == SEARCH:
            pre = frames[d, C_PRE]
            if frames[d, C_PHASE] == FRESH:
                registers[R_NODES] += 1
                src, nsrc = frames[d, C_SRC], frames[d, C_NSRC]
                order = ap
                m = 0
                for k in range(nsrc):
                    position = arena[src + k]
                    if offset[arena[pre + position]] < 0:
                        arena[order + m] = position
                        m += 1
                # Keys only grow along a branch, so the parent's order is nearly sorted.
                for i in range(1, m):
                    x = arena[order + i]
                    kx = min_offset[arena[pre + x]]
                    j = i - 1
                    while j >= 0:
                        y = arena[order + j]
                        ky = min_offset[arena[pre + y]]
                        if ky > kx or (ky == kx and y > x):
                            arena[order + j + 1] = y
                            j -= 1
                        else:
                            break
                    arena[order + j + 1] = x
                registers[R_ARENA] = ap + m
                ap += m
                frames[d, C_ORD] = order
                frames[d, C_NORD] = m
                frames[d, C_CUR] = 0
                frames[d, C_BUFFER] = -1
                frames[d, C_PHASE] = RESUMED
                if m == 0:
                    outcome = FOUND
                else:
                    lowest_top = _NO_OFFSET
                    for k in range(m):
                        b = arena[pre + arena[order + k]]
                        lowest_top = min(lowest_top, min_offset[b] + size[b])
                    frames[d, C_MIN_HEIGHT] = lowest_top
                    most = 0
                    for sec in range(frames[d, C_LO], frames[d, C_HI]):
                        most = max(most, total[sec])
                    frames[d, C_MAX_TOTAL] = most
                    frames[d, C_HOT] = -1
                    if full_sections.shape[0] > 0 and not _floor_row_covered(
                            frames[d, C_MIN_OFFSET], frames[d, C_MIN_POSITION], frames[d, C_LO],
                            frames[d, C_HI], order, m, pre, arena, min_offset, sec_lo, sec_hi,
                            floor, total, capacity, alignment, registers, sec_mark,
                            full_sections):
                        registers[R_BACKTRACKS] += 1
                        outcome = NOT_FOUND
            if outcome < 0:
                order, m = frames[d, C_ORD], frames[d, C_NORD]
                cur = frames[d, C_CUR]
                lo, hi = frames[d, C_LO], frames[d, C_HI]
                pushed = False
                while cur < m:
                    position = arena[order + cur]
                    cur += 1
                    b = arena[pre + position]
                    o = min_offset[b]
                    if o < frames[d, C_MIN_OFFSET] or (o == frames[d, C_MIN_OFFSET]
                                                      and position < frames[d, C_MIN_POSITION]):
                        continue
                    if o >= frames[d, C_MIN_HEIGHT]:
                        break
                    if o + size[b] > capacity:
                        continue
                    # Sections' totals only shrink below a node, so while o plus the largest
                    # total fits, no section can overflow from the current offset.
                    if o + frames[d, C_MAX_TOTAL] > capacity:
                        hot = _rises_above(b, o, lo, hi, frames[d, C_HOT], size, sec_lo,
                                           sec_hi, total, capacity)
                        if hot >= 0:
                            frames[d, C_HOT] = hot
                            continue
                    mark = registers[R_TRAIL]
                    n_affected = _place(b, o, size, sec_lo, sec_hi, sec_ptr, sec_buf, ov_ptr,
                                        ov_buf, alignment, offset, min_offset, solution, floor,
                                        total, cuts, trail, registers, sec_mark, affected)
                    if not _floors_fit(b, n_affected, sec_lo, sec_hi, floor, total, affected,
                                       capacity) or full_sections.shape[0] > 0 and not _basins_tile(
                            b, n_affected, lo, hi, offset, min_offset, sec_lo, sec_hi, sec_ptr,
                            sec_buf, floor, total, affected, capacity, alignment, registers,
                            sec_mark, reach, is_full):
                        _undo(b, mark, size, sec_lo, sec_hi, offset, min_offset, floor, total,
                              cuts, trail, registers)
                        continue
                    frames[d, C_CUR] = cur
                    frames[d, C_TRAIL] = mark
                    frames[d, C_BUFFER] = b
                    n_cut = 0
                    for s in range(sec_lo[b], sec_hi[b] - 1):
                        if cuts[s] == 0:
                            n_cut += 1
                    c = d + 1
                    frames[c, C_PHASE] = FRESH
                    frames[c, C_ARENA] = ap
                    frames[c, C_PRE] = pre
                    frames[c, C_NPRE] = frames[d, C_NPRE]
                    frames[c, C_LO] = lo
                    frames[c, C_HI] = hi
                    if n_cut == 0:
                        frames[c, C_KIND] = SEARCH
                        frames[c, C_SRC] = order
                        frames[c, C_NSRC] = m
                        frames[c, C_MIN_OFFSET] = o
                        frames[c, C_MIN_POSITION] = position
                    else:
                        frames[c, C_KIND] = SPLIT
                        arena[ap] = lo
                        k = 1
                        for s in range(sec_lo[b], sec_hi[b] - 1):
                            if cuts[s] == 0:
                                arena[ap + k] = s + 1
                                k += 1
                        arena[ap + k] = hi
                        frames[c, C_CUT] = ap
                        frames[c, C_NCUT] = k + 1
                        registers[R_ARENA] = ap + k + 1
                    registers[R_DEPTH] = c
                    pushed = True
                    break
                if not pushed:
                    frames[d, C_CUR] = cur
                    registers[R_BACKTRACKS] += 1
                    outcome = NOT_FOUND
        else:
            cur = 0 if frames[d, C_PHASE] == FRESH else frames[d, C_CUR]
            frames[d, C_PHASE] = RESUMED
            cut, n_cut = frames[d, C_CUT], frames[d, C_NCUT]
            pre, npre = frames[d, C_PRE], frames[d, C_NPRE]
            pushed = False
            while cur < n_cut - 1:
                lo, hi = arena[cut + cur], arena[cut + cur + 1]
                m = 0
                for k in range(npre):
                    b = arena[pre + k]
                    if offset[b] < 0 and sec_lo[b] < hi and sec_hi[b] > lo:
                        arena[ap + m] = b
                        m += 1
                if m == 0:
                    cur += 1
                    continue
                ordered = _preorder(arena[ap:ap + m], heuristic, width, area, sec_lo, sec_hi,
                                    total)
                for k in range(m):
                    arena[ap + k] = ordered[k]
                    arena[ap + m + k] = k
                frames[d, C_CUR] = cur
                c = d + 1
                frames[c, C_KIND] = SEARCH
                frames[c, C_PHASE] = FRESH
                frames[c, C_ARENA] = ap
                frames[c, C_PRE] = ap
                frames[c, C_NPRE] = m
                frames[c, C_SRC] = ap + m
                frames[c, C_NSRC] = m
                frames[c, C_LO] = lo
                frames[c, C_HI] = hi
                frames[c, C_MIN_OFFSET] = 0
                frames[c, C_MIN_POSITION] = 0
                registers[R_ARENA] = ap + 2 * m
                registers[R_DEPTH] = c
                pushed = True
                break
            if not pushed:
                outcome = FOUND
        # Hand the outcome back down the stack until a frame has something left to try.
        while outcome >= 0:
            registers[R_ARENA] = frames[d, C_ARENA]
            d -= 1
            registers[R_DEPTH] = d
            if d < 0:
                registers[R_OUTCOME] = outcome
                return SOLVED if outcome == FOUND else INFEASIBLE
            if frames[d, C_KIND] == SEARCH:
                _undo(frames[d, C_BUFFER], frames[d, C_TRAIL], size, sec_lo, sec_hi, offset,
                      min_offset, floor, total, cuts, trail, registers)
                frames[d, C_BUFFER] = -1
                if outcome == NOT_FOUND:
                    outcome = -1
            elif outcome == FOUND:
                frames[d, C_CUR] += 1
                outcome = -1
