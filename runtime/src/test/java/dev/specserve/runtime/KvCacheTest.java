package dev.specserve.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.specserve.runtime.kv.KvCache;
import dev.specserve.runtime.kv.KvPool;
import java.nio.FloatBuffer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import dev.specserve.runtime.kv.KvLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class KvCacheTest {
    /** Present tensors of one call: row r of tensor t holds the value 100*t + r in every element. */
    static FloatBuffer[] present(int tensors, int rows, int rowFloats) {
        FloatBuffer[] p = new FloatBuffer[tensors];
        for (int t = 0; t < tensors; t++) {
            p[t] = FloatBuffer.allocate(rows * rowFloats);
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < rowFloats; i++) {
                    p[t].put(r * rowFloats + i, 100 * t + r);
                }
            }
        }
        return p;
    }

    static float rowValue(KvCache cache, int tensor, int row) {
        return cache.copyRows(cache.length())[tensor][row * 6];
    }

    @ParameterizedTest
    @EnumSource(KvLayout.class)
    void compactionKeepsTheRootAndAcceptedRowsInOrderAndDropsTheRest(KvLayout layout) {
        KvCache cache = KvCache.standalone(layout, 1, 2, 3, 32);
        cache.appendAll(present(2, 4, 6), 4);                 // context rows 0..3
        cache.appendAll(present(2, 6, 6), 6);                 // root + 5 tree nodes at rows 4..9

        cache.retain(4, new int[] {0, 2, 5});                 // root, node 2, node 5

        assertThat(cache.length()).isEqualTo(7);
        assertThat(new float[] {rowValue(cache, 1, 3), rowValue(cache, 1, 4), rowValue(cache, 1, 5), rowValue(cache, 1, 6)})
                .containsExactly(103, 100, 102, 105);
    }

    @ParameterizedTest
    @EnumSource(KvLayout.class)
    void appendingChosenRowsOfAVerificationCopiesOnlyThoseRows(KvLayout layout) {
        KvCache cache = KvCache.standalone(layout, 1, 2, 3, 32);
        cache.append(present(2, 8, 6), new int[] {0, 3, 4});

        assertThat(cache.length()).isEqualTo(3);
        assertThat(new float[] {rowValue(cache, 0, 0), rowValue(cache, 0, 1), rowValue(cache, 0, 2)})
                .containsExactly(0, 3, 4);
    }

    @ParameterizedTest
    @EnumSource(KvLayout.class)
    void aFullCacheRefusesMoreRowsWithAClearError(KvLayout layout) {
        KvCache cache = KvCache.standalone(layout, 1, 2, 3, 4);
        assertThatThrownBy(() -> cache.appendAll(present(2, 5, 6), 5)).hasMessageContaining("KV cache full");
    }

    @ParameterizedTest
    @EnumSource(KvLayout.class)
    void aPoolMovesASequenceIntoAFreedSlotWithItsRows(KvLayout layout) {
        KvPool pool = new KvPool(1, 2, 3, layout, 3, 8);
        KvCache a = pool.acquire(0);
        KvCache c = pool.acquire(2);
        a.appendAll(present(2, 2, 6), 2);
        c.appendAll(present(2, 5, 6), 5);

        KvCache moved = pool.move(2, 0);

        assertThat(moved).isSameAs(c);
        assertThat(pool.cacheAt(0)).isSameAs(c);
        assertThat(c.length()).isEqualTo(5);
        assertThat(rowValue(c, 1, 4)).isEqualTo(104);
    }

    @ParameterizedTest
    @EnumSource(KvLayout.class)
    void aPoolSlotsStrideFollowsTheLongestSequenceSoABatchedPastHasOnlyTheRowsItNeeds(KvLayout layout) {
        KvPool pool = new KvPool(1, 2, 3, layout, 3, 300);
        KvCache a = pool.acquire(0);
        KvCache b = pool.acquire(1);
        KvCache c = pool.acquire(2);
        a.appendAll(present(2, 10, 6), 10);
        b.appendAll(present(2, 20, 6), 20);
        assertThat(pool.rows()).isEqualTo(KvPool.BUCKET);

        c.appendAll(present(2, 70, 6), 70);                   // outgrows the bucket: every slot re-laid out

        assertThat(pool.rows()).isEqualTo(2 * KvPool.BUCKET);
        assertThat(new float[] {rowValue(a, 1, 9), rowValue(b, 1, 19), rowValue(c, 1, 69), rowValue(c, 0, 0)})
                .containsExactly(109, 119, 169, 0);
        b.appendAll(present(2, 230, 6), 230);                 // 250 rows: up to the capacity's bucket
        assertThat(pool.rows()).isEqualTo(256);
        assertThat(rowValue(c, 1, 69)).isEqualTo(169);
        assertThatThrownBy(() -> b.appendAll(present(2, 51, 6), 51)).hasMessageContaining("KV cache full");

        pool.move(2, 1);                                      // the long sequence leaves; c takes its slot
        pool.acquire(2);
        assertThat(pool.fit()).isEqualTo(2 * KvPool.BUCKET);
        assertThat(new float[] {rowValue(a, 1, 9), rowValue(c, 1, 69), rowValue(c, 1, 3)}).containsExactly(109, 169, 103);
    }

    /** Present rows whose element (row r, head h, i) of tensor t holds 1000*t + 10*r + h + i/10. */
    static FloatBuffer[] distinct(int tensors, int rows, int heads, int headDim) {
        FloatBuffer[] p = new FloatBuffer[tensors];
        for (int t = 0; t < tensors; t++) {
            p[t] = FloatBuffer.allocate(rows * heads * headDim);
            for (int r = 0; r < rows; r++) {
                for (int h = 0; h < heads; h++) {
                    for (int i = 0; i < headDim; i++) {
                        p[t].put((r * heads + h) * headDim + i, 1000 * t + 10 * r + h + i / 10f);
                    }
                }
            }
        }
        return p;
    }

    @ParameterizedTest
    @EnumSource(KvLayout.class)
    void rowsComeBackAsTheyWentInWhetherCopiedIntoArraysOrIntoABuffer(KvLayout layout) {
        int heads = 3;
        int headDim = 4;
        int rowFloats = heads * headDim;
        KvPool pool = new KvPool(1, heads, headDim, layout, 2, 200);
        KvCache cache = pool.acquire(1);                          // a slot at an offset, in a region wider than its rows
        FloatBuffer[] rows = distinct(2, 70, heads, headDim);
        FloatBuffer direct = java.nio.ByteBuffer.allocateDirect(70 * rowFloats * Float.BYTES)
                .order(java.nio.ByteOrder.nativeOrder()).asFloatBuffer();
        direct.put(0, rows[1], 0, 70 * rowFloats);
        cache.appendAll(new FloatBuffer[] {rows[0], direct}, 70); // heap and direct sources alike

        float[][] arrays = cache.copyRows(5, 60);
        FloatBuffer out = FloatBuffer.allocate(1 + 60 * rowFloats);
        cache.copyRows(1, 5, 60, out, 1);
        for (int r = 0; r < 60; r++) {
            for (int f = 0; f < rowFloats; f++) {
                assertThat(arrays[1][r * rowFloats + f]).isEqualTo(rows[1].get((5 + r) * rowFloats + f));
                assertThat(out.get(1 + r * rowFloats + f)).isEqualTo(rows[1].get((5 + r) * rowFloats + f));
                assertThat(arrays[0][r * rowFloats + f]).isEqualTo(rows[0].get((5 + r) * rowFloats + f));
            }
        }
    }

    @Test
    void aBhsdPoolHandsTheGraphEachHeadsRowsContiguouslyAtTheBatchStrideWithoutCopying() throws Exception {
        int heads = 2;
        int headDim = 3;
        KvPool pool = new KvPool(1, heads, headDim, KvLayout.BHSD, 2, 300);
        KvCache a = pool.acquire(0);
        KvCache b = pool.acquire(1);
        a.appendAll(distinct(2, 5, heads, headDim), 5);
        b.appendAll(distinct(2, 70, heads, headDim), 70);       // widens the stride to 128 rows, moving slot 0 too
        b.retain(60, new int[] {0, 3});                           // compaction inside each head's rows

        int rows = pool.fit();
        OnnxTensor[] past = pool.batchPast(OrtEnvironment.getEnvironment(), 2);
        try {
            assertThat(past[1].getInfo().getShape()).containsExactly(2, heads, rows, headDim);
            FloatBuffer v = past[1].getFloatBuffer();
            // [slot][head][row][i]
            java.util.function.IntBinaryOperator at = (slot, hr) -> ((slot * heads + hr / 1000) * rows + hr % 1000) * headDim;
            assertThat(v.get(at.applyAsInt(0, 1004) + 2)).isEqualTo(1000 + 40 + 1 + 0.2f);   // slot 0, head 1, row 4
            assertThat(v.get(at.applyAsInt(1, 59))).isEqualTo(1000 + 590);                    // slot 1, head 0, row 59
            assertThat(v.get(at.applyAsInt(1, 1061))).isEqualTo(1000 + 630 + 1);              // kept node 3 -> row 61
        } finally {
            for (OnnxTensor t : past) {
                t.close();
            }
        }
        assertThat(b.copyRows(62)[0][(61 * heads + 1) * headDim]).as("rows come back [row][head][i]").isEqualTo(631);
    }

    @Test
    void aSlotWorkedInFromAnotherThreadKeepsItsReservedRowsAndItsPlaceUntilTheWorkIsDone() throws Exception {
        KvPool pool = new KvPool(1, 2, 3, KvLayout.BHSD, 2, 300);
        KvCache decoding = pool.acquire(0);
        KvCache prefilling = pool.acquire(1);
        decoding.appendAll(present(2, 10, 6), 10);
        pool.reserve(100);                                    // a chunk will take the prefilling slot to 100 rows
        assertThat(pool.rows()).isEqualTo(2 * KvPool.BUCKET);
        assertThat(pool.fit()).as("no narrowing below a reservation").isEqualTo(2 * KvPool.BUCKET);

        java.util.concurrent.CountDownLatch inChunk = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        var chunk = java.util.concurrent.CompletableFuture.supplyAsync(() -> pool.withLayoutFixed(() -> {
            inChunk.countDown();
            await(release);
            prefilling.appendAll(present(2, 100, 6), 100);
            return true;
        }));
        inChunk.await();
        var move = java.util.concurrent.CompletableFuture.runAsync(() -> pool.move(1, 0)); // the decoder leaves
        Thread.sleep(50);
        assertThat(move).as("a move waits for the work holding the layout").isNotDone();
        release.countDown();
        chunk.get();
        move.get();
        assertThat(pool.cacheAt(0)).isSameAs(prefilling);
        assertThat(prefilling.length()).isEqualTo(100);
        assertThat(rowValue(prefilling, 1, 99)).as("rows written during the work moved with the slot").isEqualTo(199);

        pool.endReservations();
        pool.free(1);
        assertThat(pool.fit()).isEqualTo(2 * KvPool.BUCKET);  // 100 rows still live
        assertThatThrownBy(() -> pool.withLayoutFixed(() -> {
            prefilling.appendAll(present(2, 100, 6), 100);    // 200 rows: beyond what was reserved
            return true;
        })).hasMessageContaining("reserved");
    }

    private static void await(java.util.concurrent.CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
