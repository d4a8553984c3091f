package dev.specserve.telemetry;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class SampleCodecTest {

    @Test
    void fp32SamplesRoundTripExactly() throws Exception {
        TrainingSample sample = Fixtures.sample("spec-block-a", "req-1", 4, 9, 16, 1);

        byte[] bytes = SampleCodec.encode(sample, Dtype.FP32);

        assertThat(bytes).hasSize((int) SampleCodec.encodedSize(sample, Dtype.FP32));
        assertThat(SampleCodec.decode(bytes)).isEqualTo(sample);
    }

    @Test
    void fp16SamplesRoundTripWithinHalfPrecision() throws Exception {
        TrainingSample sample = Fixtures.sample("spec-block-a", "req-1", 4, 9, 16, 2);

        byte[] bytes = SampleCodec.encode(sample, Dtype.FP16);
        TrainingSample back = SampleCodec.decode(bytes);

        assertThat(bytes.length).isLessThan(SampleCodec.encode(sample, Dtype.FP32).length);
        assertThat(back.targetTokens()).isEqualTo(sample.targetTokens());
        assertThat(back.validPrefix()).isEqualTo(sample.validPrefix());
        assertThat(back.depths()).isEqualTo(sample.depths());
        assertThat(back.requestId()).isEqualTo("req-1");
        assertThat(back.drafterId()).isEqualTo("spec-block-a");
        assertThat(back.drafterVersion()).isEqualTo(7);
        assertThat(back.hiddenDim()).isEqualTo(16);
        assertThat(back.round()).isEqualTo(4);
        assertFp16Close(back.hidden(), sample.hidden());
    }

    @Test
    void headerIsLittleEndianWithMagicVersionDtypeCountsAndDims() {
        TrainingSample sample = Fixtures.sample("dr", "rq-é", 3, 10, 4, 3);

        ByteBuffer b = ByteBuffer.wrap(SampleCodec.encode(sample, Dtype.FP16)).order(ByteOrder.LITTLE_ENDIAN);

        assertThat(new String(b.array(), 0, 4, StandardCharsets.US_ASCII)).isEqualTo("SSMP");
        assertThat(b.get(4)).isEqualTo((byte) 1);
        assertThat(b.get(5)).isEqualTo((byte) Dtype.FP16.code());
        assertThat(b.getShort(6)).isZero();
        assertThat(b.getInt(8)).isEqualTo(10);
        assertThat(b.getInt(12)).isEqualTo(4);
        assertThat(b.getInt(16)).isEqualTo(3);
        assertThat(b.getLong(20)).isEqualTo(7L);
        int requestIdLen = b.getShort(28);
        int drafterIdLen = b.getShort(30);
        assertThat(requestIdLen).isEqualTo("rq-é".getBytes(StandardCharsets.UTF_8).length);
        assertThat(drafterIdLen).isEqualTo(2);
        int arrays = 32 + requestIdLen + drafterIdLen;
        assertThat(b.getInt(arrays)).isEqualTo(sample.targetTokens()[0]);
        assertThat(b.getInt(arrays + 40)).isEqualTo(sample.depths()[0]);
        int bitset = arrays + 80;
        for (int i = 0; i < 10; i++) {
            assertThat((b.get(bitset + i / 8) >> (i % 8) & 1) == 1).isEqualTo(sample.validPrefix()[i]);
        }
        int hidden = bitset + 2;
        assertThat(Fp16.toFloat(b.getShort(hidden))).isCloseTo(sample.hidden()[0], within(Math.abs(sample.hidden()[0]) / 1024 + 1e-7f));
        assertThat(b.capacity()).isEqualTo(hidden + 10 * 4 * 2);
    }

    @Test
    void sampleWithoutNodesRoundTrips() throws Exception {
        TrainingSample empty = new TrainingSample("q", 0, "d", 0, 8, new float[0], new int[0], new boolean[0], new int[0]);

        assertThat(SampleCodec.decode(SampleCodec.encode(empty, Dtype.FP16))).isEqualTo(empty);
    }

    @Test
    void truncatedSamplesAreRejectedAsTruncated() {
        byte[] bytes = SampleCodec.encode(Fixtures.sample("d", "q", 0, 5, 8, 4), Dtype.FP16);

        for (int len : new int[]{2, 5, 20, 31, 40, bytes.length - 1}) {
            assertKind(Arrays.copyOf(bytes, len), MalformedRecordException.Kind.SAMPLE_TRUNCATED);
        }
    }

    @Test
    void corruptSamplesAreRejectedByKind() {
        byte[] bytes = SampleCodec.encode(Fixtures.sample("d", "q", 0, 5, 8, 4), Dtype.FP32);

        assertKind(null, MalformedRecordException.Kind.EMPTY);
        assertKind("{\"schema_version\":1}".getBytes(StandardCharsets.UTF_8), MalformedRecordException.Kind.SAMPLE_BAD_MAGIC);
        byte[] v2 = bytes.clone();
        v2[4] = 2;
        assertKind(v2, MalformedRecordException.Kind.SAMPLE_UNSUPPORTED_VERSION);
        byte[] dtype = bytes.clone();
        dtype[5] = 9;
        assertKind(dtype, MalformedRecordException.Kind.SAMPLE_UNSUPPORTED_VERSION);
        assertKind(Arrays.copyOf(bytes, bytes.length + 3), MalformedRecordException.Kind.SAMPLE_INVALID);
        byte[] negative = bytes.clone();
        ByteBuffer.wrap(negative).order(ByteOrder.LITTLE_ENDIAN).putInt(8, -1);
        assertKind(negative, MalformedRecordException.Kind.SAMPLE_INVALID);
        byte[] hugeCount = bytes.clone();
        ByteBuffer.wrap(hugeCount).order(ByteOrder.LITTLE_ENDIAN).putInt(8, Integer.MAX_VALUE);
        assertKind(hugeCount, MalformedRecordException.Kind.SAMPLE_TRUNCATED);
    }

    @Test
    void trainingSampleValidatesArrayShapes() {
        assertThatThrownBy(() -> new TrainingSample("q", 0, "d", 0, 4, new float[7], new int[2], new boolean[2], new int[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("n*hiddenDim");
        assertThatThrownBy(() -> new TrainingSample("q", 0, "d", 0, 4, new float[8], new int[2], new boolean[1], new int[2]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    static void assertFp16Close(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            // half precision: 11 significant bits, so relative error <= 2^-11
            float tol = Math.max(Math.abs(expected[i]) * 0x1p-11f, 0x1p-24f);
            assertThat(actual[i]).as("hidden[%d]", i).isCloseTo(expected[i], within(tol));
        }
    }

    private static void assertKind(byte[] value, MalformedRecordException.Kind kind) {
        assertThatThrownBy(() -> SampleCodec.decode(value))
                .isInstanceOfSatisfying(MalformedRecordException.class, e -> assertThat(e.kind()).isEqualTo(kind));
    }
}
