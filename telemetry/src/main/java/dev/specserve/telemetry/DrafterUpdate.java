package dev.specserve.telemetry;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * An accepted drafter update as it travels on the compacted {@code specserve.drafter-updates} topic (key: the
 * drafter id): the version id, its parent, and the low-rank adapter's tensors A [rank][dim] and B [dim][rank].
 * Binary, little-endian: magic "SSUP", format 1, version, parent, rank, dim, A, B (fp32), then UTF-8 JSON
 * metrics with a 4-byte length.
 */
public record DrafterUpdate(long version, long parentVersion, int rank, int dim, float[] a, float[] b,
                            String metricsJson) {
    private static final byte[] MAGIC = {'S', 'S', 'U', 'P'};
    private static final int FORMAT = 1;

    public DrafterUpdate {
        if (rank <= 0 || dim <= 0 || a.length != rank * dim || b.length != dim * rank) {
            throw new IllegalArgumentException("adapter tensors must be " + rank + "x" + dim + " and " + dim + "x" + rank);
        }
        metricsJson = metricsJson == null ? "{}" : metricsJson;
    }

    public byte[] encode() {
        byte[] metrics = metricsJson.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(4 + 4 + 8 + 8 + 4 + 4 + 4 * (a.length + b.length) + 4 + metrics.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).putInt(FORMAT).putLong(version).putLong(parentVersion).putInt(rank).putInt(dim);
        for (float v : a) {
            buf.putFloat(v);
        }
        for (float v : b) {
            buf.putFloat(v);
        }
        buf.putInt(metrics.length).put(metrics);
        return buf.array();
    }

    public static DrafterUpdate decode(byte[] bytes) throws MalformedRecordException {
        try {
            ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[4];
            buf.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new MalformedRecordException(MalformedRecordException.Kind.SAMPLE_BAD_MAGIC, "not a drafter update");
            }
            int format = buf.getInt();
            if (format != FORMAT) {
                throw new MalformedRecordException(MalformedRecordException.Kind.SAMPLE_UNSUPPORTED_VERSION,
                        "drafter update format " + format);
            }
            long version = buf.getLong();
            long parent = buf.getLong();
            int rank = buf.getInt();
            int dim = buf.getInt();
            // check the claimed size against the record before allocating: a 40-byte record claiming
            // 40000x40000 tensors must not cost 12 GB (an OutOfMemoryError would end the follower thread)
            if (rank <= 0 || dim <= 0 || 2L * rank * dim * Float.BYTES > buf.remaining()) {
                throw new MalformedRecordException(MalformedRecordException.Kind.SAMPLE_INVALID,
                        "drafter update claims " + rank + "x" + dim + " adapter tensors but holds "
                                + buf.remaining() + " more bytes");
            }
            float[] a = new float[rank * dim];
            float[] b = new float[dim * rank];
            for (int i = 0; i < a.length; i++) {
                a[i] = buf.getFloat();
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = buf.getFloat();
            }
            byte[] metrics = new byte[buf.getInt()];
            buf.get(metrics);
            return new DrafterUpdate(version, parent, rank, dim, a, b, new String(metrics, StandardCharsets.UTF_8));
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException | NegativeArraySizeException e) {
            throw new MalformedRecordException(MalformedRecordException.Kind.SAMPLE_INVALID,
                    "truncated or inconsistent drafter update: " + e);
        }
    }
}
