package dev.specserve.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class DrafterUpdateTest {
    @Test
    void anUpdateSurvivesTheRoundTripExactly() throws Exception {
        float[] a = {1f, -2.5f, 3e-7f, 0f, 7f, 8f};
        float[] b = {0.5f, 0.25f, -1f, 2f, 3f, 4f};
        DrafterUpdate u = new DrafterUpdate(7, 3, 2, 3, a, b, "{\"steps\":32}");

        DrafterUpdate back = DrafterUpdate.decode(u.encode());

        assertThat(back.version()).isEqualTo(7);
        assertThat(back.parentVersion()).isEqualTo(3);
        assertThat(back.a()).containsExactly(a);
        assertThat(back.b()).containsExactly(b);
        assertThat(back.metricsJson()).isEqualTo("{\"steps\":32}");
    }

    @Test
    void theKindAndTheOriginReplicaSurviveTheRoundTrip() throws Exception {
        DrafterUpdate u = new DrafterUpdate(4, 2, 1, 2, new float[] {1f, 2f}, new float[] {3f, 4f}, "{}",
                DrafterUpdate.Kind.ROLLBACK, "replica-é");

        DrafterUpdate back = DrafterUpdate.decode(u.encode());

        assertThat(back.kind()).isEqualTo(DrafterUpdate.Kind.ROLLBACK);
        assertThat(back.origin()).isEqualTo("replica-é");
        assertThat(back.version()).isEqualTo(4);
    }

    @Test
    void aFormatOneRecordStillDecodesAsAnUpdateOfUnknownOrigin() throws Exception {
        byte[] metrics = "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer v1 = java.nio.ByteBuffer.allocate(4 + 4 + 8 + 8 + 4 + 4 + 4 * 4 + 4 + metrics.length)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).put(new byte[] {'S', 'S', 'U', 'P'}).putInt(1).putLong(3)
                .putLong(1).putInt(1).putInt(2).putFloat(1f).putFloat(2f).putFloat(3f).putFloat(4f)
                .putInt(metrics.length).put(metrics);

        DrafterUpdate back = DrafterUpdate.decode(v1.array());

        assertThat(back.kind()).isEqualTo(DrafterUpdate.Kind.UPDATE);
        assertThat(back.origin()).isEmpty();
        assertThat(back.b()).containsExactly(3f, 4f);
    }

    @Test
    void anUnknownKindIsMalformed() {
        byte[] bytes = new DrafterUpdate(2, 1, 1, 2, new float[2], new float[2], "{}").encode();
        bytes[bytes.length - 5] = 9; // the kind byte, before the origin's 4-byte length

        assertThatThrownBy(() -> DrafterUpdate.decode(bytes))
                .isInstanceOf(MalformedRecordException.class).hasMessageContaining("unknown kind 9");
    }

    @Test
    void truncatedOrForeignBytesAreMalformedNotApplied() {
        byte[] good = new DrafterUpdate(2, 1, 1, 2, new float[2], new float[2], "{}").encode();

        assertThatThrownBy(() -> DrafterUpdate.decode(Arrays.copyOf(good, good.length - 6)))
                .isInstanceOf(MalformedRecordException.class);
        assertThatThrownBy(() -> DrafterUpdate.decode("not an update".getBytes()))
                .isInstanceOf(MalformedRecordException.class).hasMessageContaining("not a drafter update");
    }

    @Test
    void aHeaderClaimingMoreTensorDataThanTheRecordHoldsIsMalformedWithoutAllocatingIt() {
        java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(40).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .put(new byte[] {'S', 'S', 'U', 'P'}).putInt(1).putLong(9).putLong(1).putInt(40_000).putInt(40_000)
                .putInt(0);

        assertThatThrownBy(() -> DrafterUpdate.decode(header.array()))
                .isInstanceOf(MalformedRecordException.class).hasMessageContaining("40000x40000");
    }

    @Test
    void aMetricsLengthBeyondTheRecordAndATombstoneAreMalformedWithoutAllocating() {
        byte[] good = new DrafterUpdate(2, 1, 1, 2, new float[2], new float[2], "{}").encode();
        int metricsAt = 4 + 4 + 8 + 8 + 4 + 4 + 2 * 2 * Float.BYTES;
        java.nio.ByteBuffer.wrap(good).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(metricsAt, Integer.MAX_VALUE);

        assertThatThrownBy(() -> DrafterUpdate.decode(good))
                .isInstanceOf(MalformedRecordException.class).hasMessageContaining("2147483647 bytes of metrics");
        assertThatThrownBy(() -> DrafterUpdate.decode(null))
                .isInstanceOf(MalformedRecordException.class).hasMessageContaining("tombstone");
    }
}
