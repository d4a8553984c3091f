package dev.specserve.telemetry;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A drafter version the fleet should serve, as it travels on the compacted {@code specserve.drafter-updates}
 * topic (key: the drafter id, so one partition orders every change of a drafter): the version id, its parent,
 * the low-rank adapter's tensors A [rank][dim] and B [dim][rank], how the version became current ({@link Kind})
 * and the replica that published it. Every record is the whole state, so the latest one (all compaction keeps)
 * is enough for a replica that starts later.
 *
 * <p>Binary, little-endian: magic "SSUP", format, version, parent, rank, dim, A, B (fp32), UTF-8 JSON metrics
 * with a 4-byte length; format 2 adds the kind (1 byte) and the origin replica (UTF-8, 4-byte length). Format-1
 * records decode as {@link Kind#UPDATE} with an empty origin.
 */
public record DrafterUpdate(long version, long parentVersion, int rank, int dim, float[] a, float[] b,
                            String metricsJson, Kind kind, String origin) {
    private static final byte[] MAGIC = {'S', 'S', 'U', 'P'};
    private static final int FORMAT = 2;
    private static final int MAX_ORIGIN_BYTES = 1024;

    /** How the published version became current where it was published. */
    public enum Kind {
        /** A newly trained adapter that passed the shadow check. */
        UPDATE,
        /** A rollback to the version's parent (the record holds the version rolled back to). */
        ROLLBACK,
        /** An operator made an earlier version current. */
        SWAP,
        /** An operator loaded a new drafter file (the metrics name its path and sha256). */
        LOAD
    }

    public DrafterUpdate {
        if (rank <= 0 || dim <= 0 || a.length != rank * dim || b.length != dim * rank) {
            throw new IllegalArgumentException("adapter tensors must be " + rank + "x" + dim + " and " + dim + "x" + rank);
        }
        metricsJson = metricsJson == null ? "{}" : metricsJson;
        kind = kind == null ? Kind.UPDATE : kind;
        origin = origin == null ? "" : origin;
    }

    /** A trained update of unknown origin (the format-1 record). */
    public DrafterUpdate(long version, long parentVersion, int rank, int dim, float[] a, float[] b, String metricsJson) {
        this(version, parentVersion, rank, dim, a, b, metricsJson, Kind.UPDATE, "");
    }

    public byte[] encode() {
        byte[] metrics = metricsJson.getBytes(StandardCharsets.UTF_8);
        byte[] from = origin.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(4 + 4 + 8 + 8 + 4 + 4 + 4 * (a.length + b.length) + 4 + metrics.length
                        + 1 + 4 + from.length)
                .order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).putInt(FORMAT).putLong(version).putLong(parentVersion).putInt(rank).putInt(dim);
        for (float v : a) {
            buf.putFloat(v);
        }
        for (float v : b) {
            buf.putFloat(v);
        }
        buf.putInt(metrics.length).put(metrics);
        buf.put((byte) kind.ordinal()).putInt(from.length).put(from);
        return buf.array();
    }

    public static DrafterUpdate decode(byte[] bytes) throws MalformedRecordException {
        if (bytes == null) {
            throw new MalformedRecordException(MalformedRecordException.Kind.SAMPLE_INVALID,
                    "a tombstone (null value): updates are never deleted by key");
        }
        try {
            ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            byte[] magic = new byte[4];
            buf.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new MalformedRecordException(MalformedRecordException.Kind.SAMPLE_BAD_MAGIC, "not a drafter update");
            }
            int format = buf.getInt();
            if (format != 1 && format != FORMAT) {
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
            int metricsLength = buf.getInt();
            if (metricsLength < 0 || metricsLength > buf.remaining()) { // not allocated before it is checked, as above
                throw new MalformedRecordException(MalformedRecordException.Kind.SAMPLE_INVALID,
                        "drafter update claims " + metricsLength + " bytes of metrics but holds " + buf.remaining());
            }
            byte[] metrics = new byte[metricsLength];
            buf.get(metrics);
            Kind kind = Kind.UPDATE;
            String origin = "";
            if (format == FORMAT) {
                int k = buf.get();
                if (k < 0 || k >= Kind.values().length) {
                    throw new MalformedRecordException(MalformedRecordException.Kind.SAMPLE_INVALID,
                            "drafter update of unknown kind " + k);
                }
                kind = Kind.values()[k];
                int length = buf.getInt();
                if (length < 0 || length > MAX_ORIGIN_BYTES) {
                    throw new MalformedRecordException(MalformedRecordException.Kind.SAMPLE_INVALID,
                            "drafter update origin of " + length + " bytes");
                }
                byte[] from = new byte[length];
                buf.get(from);
                origin = new String(from, StandardCharsets.UTF_8);
            }
            return new DrafterUpdate(version, parent, rank, dim, a, b, new String(metrics, StandardCharsets.UTF_8),
                    kind, origin);
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException | NegativeArraySizeException e) {
            throw new MalformedRecordException(MalformedRecordException.Kind.SAMPLE_INVALID,
                    "truncated or inconsistent drafter update: " + e);
        }
    }
}
