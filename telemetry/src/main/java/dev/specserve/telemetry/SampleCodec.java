package dev.specserve.telemetry;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Compact little-endian binary encoding of {@link TrainingSample}s (the {@code specserve.samples}
 * topic). Layout, version 1 (see {@code docs/feedback-schema.md}):
 *
 * <pre>
 * offset  size            field
 *      0  4               magic "SSMP" (0x53 0x53 0x4D 0x50)
 *      4  1               format version (1)
 *      5  1               dtype of hidden: 1 = fp16, 2 = fp32
 *      6  2               flags, reserved, 0
 *      8  4   int32       n, number of nodes
 *     12  4   int32       hidden_dim
 *     16  4   int32       round
 *     20  8   int64       drafter_version
 *     28  2   uint16      request_id length in bytes (R)
 *     30  2   uint16      drafter_id length in bytes (D)
 *     32  R               request_id, UTF-8
 *   32+R  D               drafter_id, UTF-8
 *      .  4n  int32[n]    target_tokens
 *      .  4n  int32[n]    depths
 *      .  ceil(n/8)       valid_prefix bitset, node i = bit (i % 8) of byte (i / 8), LSB first
 *      .  n*hidden_dim*s  hidden, row-major [n][hidden_dim], s = 2 (fp16) or 4 (fp32)
 * </pre>
 *
 * The value's length must equal the length the header implies; anything else is malformed.
 */
public final class SampleCodec {

    /** "SSMP" as the first four bytes. */
    public static final byte[] MAGIC = {0x53, 0x53, 0x4D, 0x50};
    public static final int FORMAT_VERSION = 1;
    /** Fixed header bytes before the two id strings. */
    public static final int HEADER_BYTES = 32;

    private SampleCodec() {
    }

    /** Exact encoded size of a sample, without encoding it. */
    public static long encodedSize(TrainingSample s, Dtype dtype) {
        long n = s.targetTokens().length;
        return HEADER_BYTES + utf8Length(s.requestId()) + utf8Length(s.drafterId())
                + 8 * n + (n + 7) / 8 + (long) s.hidden().length * dtype.bytes();
    }

    public static byte[] encode(TrainingSample s, Dtype dtype) {
        long size = encodedSize(s, dtype);
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("sample too large to encode: " + size + " bytes");
        }
        byte[] requestId = s.requestId().getBytes(StandardCharsets.UTF_8);
        byte[] drafterId = s.drafterId().getBytes(StandardCharsets.UTF_8);
        int n = s.targetTokens().length;
        ByteBuffer buf = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC);
        buf.put((byte) FORMAT_VERSION);
        buf.put((byte) dtype.code());
        buf.putShort((short) 0);
        buf.putInt(n);
        buf.putInt(s.hiddenDim());
        buf.putInt(s.round());
        buf.putLong(s.drafterVersion());
        buf.putShort((short) requestId.length);
        buf.putShort((short) drafterId.length);
        buf.put(requestId);
        buf.put(drafterId);
        buf.asIntBuffer().put(s.targetTokens());
        buf.position(buf.position() + 4 * n);
        buf.asIntBuffer().put(s.depths());
        buf.position(buf.position() + 4 * n);
        boolean[] valid = s.validPrefix();
        for (int b = 0; b < (n + 7) / 8; b++) {
            int bits = 0;
            for (int j = 0; j < 8 && 8 * b + j < n; j++) {
                if (valid[8 * b + j]) {
                    bits |= 1 << j;
                }
            }
            buf.put((byte) bits);
        }
        float[] hidden = s.hidden();
        if (dtype == Dtype.FP32) {
            buf.asFloatBuffer().put(hidden);
            buf.position(buf.position() + 4 * hidden.length);
        } else {
            for (float v : hidden) {
                buf.putShort(Fp16.fromFloat(v));
            }
        }
        if (buf.hasRemaining()) {
            throw new IllegalStateException("encoded size mismatch: " + buf.remaining() + " bytes left");
        }
        return buf.array();
    }

    /** The dtype of an encoded sample, read from its header. */
    public static Dtype dtypeOf(byte[] value) throws MalformedRecordException {
        checkPrelude(value);
        return Dtype.fromCode(value[5]);
    }

    /**
     * Decodes a sample.
     *
     * @throws MalformedRecordException with kind EMPTY, SAMPLE_BAD_MAGIC, SAMPLE_UNSUPPORTED_VERSION,
     *                                  SAMPLE_TRUNCATED or SAMPLE_INVALID
     */
    public static TrainingSample decode(byte[] value) throws MalformedRecordException {
        checkPrelude(value);
        if (value.length < HEADER_BYTES) {
            throw malformed(MalformedRecordException.Kind.SAMPLE_TRUNCATED,
                    "header needs " + HEADER_BYTES + " bytes, record has " + value.length);
        }
        ByteBuffer buf = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        buf.position(5);
        Dtype dtype = Dtype.fromCode(buf.get());
        buf.getShort(); // flags, reserved
        int n = buf.getInt();
        int hiddenDim = buf.getInt();
        int round = buf.getInt();
        long drafterVersion = buf.getLong();
        int requestIdLen = Short.toUnsignedInt(buf.getShort());
        int drafterIdLen = Short.toUnsignedInt(buf.getShort());
        if (n < 0 || hiddenDim <= 0) {
            throw malformed(MalformedRecordException.Kind.SAMPLE_INVALID,
                    "invalid counts n=" + n + " hidden_dim=" + hiddenDim);
        }
        long expected = HEADER_BYTES + (long) requestIdLen + drafterIdLen + 8L * n + (n + 7L) / 8
                + (long) n * hiddenDim * dtype.bytes();
        if (value.length < expected) {
            throw malformed(MalformedRecordException.Kind.SAMPLE_TRUNCATED,
                    "header implies " + expected + " bytes (n=" + n + ", hidden_dim=" + hiddenDim + ", " + dtype
                            + "), record has " + value.length);
        }
        if (value.length > expected) {
            throw malformed(MalformedRecordException.Kind.SAMPLE_INVALID,
                    (value.length - expected) + " trailing bytes after a sample of " + expected + " bytes");
        }
        try {
            String requestId = utf8(buf, requestIdLen);
            String drafterId = utf8(buf, drafterIdLen);
            int[] targetTokens = new int[n];
            buf.asIntBuffer().get(targetTokens);
            buf.position(buf.position() + 4 * n);
            int[] depths = new int[n];
            buf.asIntBuffer().get(depths);
            buf.position(buf.position() + 4 * n);
            boolean[] valid = new boolean[n];
            for (int b = 0; b < (n + 7) / 8; b++) {
                int bits = buf.get();
                for (int j = 0; j < 8 && 8 * b + j < n; j++) {
                    valid[8 * b + j] = (bits & (1 << j)) != 0;
                }
            }
            float[] hidden = new float[n * hiddenDim];
            if (dtype == Dtype.FP32) {
                buf.asFloatBuffer().get(hidden);
            } else {
                for (int i = 0; i < hidden.length; i++) {
                    hidden[i] = Fp16.toFloat(buf.getShort());
                }
            }
            return new TrainingSample(requestId, round, drafterId, drafterVersion, hiddenDim, hidden, targetTokens,
                    valid, depths);
        } catch (IllegalArgumentException | CharacterCodingException e) {
            throw new MalformedRecordException(MalformedRecordException.Kind.SAMPLE_INVALID,
                    "invalid sample: " + e.getMessage(), e);
        } catch (BufferUnderflowException e) {
            throw new MalformedRecordException(MalformedRecordException.Kind.SAMPLE_TRUNCATED, "truncated sample", e);
        }
    }

    private static void checkPrelude(byte[] value) throws MalformedRecordException {
        if (value == null || value.length == 0) {
            throw malformed(MalformedRecordException.Kind.EMPTY, "empty record value");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (i >= value.length) {
                throw malformed(MalformedRecordException.Kind.SAMPLE_TRUNCATED, "record shorter than the magic");
            }
            if (value[i] != MAGIC[i]) {
                throw malformed(MalformedRecordException.Kind.SAMPLE_BAD_MAGIC, "record does not start with SSMP");
            }
        }
        if (value.length < 6) {
            throw malformed(MalformedRecordException.Kind.SAMPLE_TRUNCATED, "record ends inside the header");
        }
        if (value[4] != FORMAT_VERSION) {
            throw malformed(MalformedRecordException.Kind.SAMPLE_UNSUPPORTED_VERSION,
                    "sample format version " + value[4] + " is not supported (this reader supports "
                            + FORMAT_VERSION + ")");
        }
        if (Dtype.fromCode(value[5]) == null) {
            throw malformed(MalformedRecordException.Kind.SAMPLE_UNSUPPORTED_VERSION, "unknown dtype code " + value[5]);
        }
    }

    private static String utf8(ByteBuffer buf, int len) throws CharacterCodingException {
        ByteBuffer slice = buf.slice();
        slice.limit(len);
        buf.position(buf.position() + len);
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(slice).toString();
    }

    private static MalformedRecordException malformed(MalformedRecordException.Kind kind, String message) {
        return new MalformedRecordException(kind, message);
    }

    private static int utf8Length(String s) {
        int len = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                len += 1;
            } else if (c < 0x800) {
                len += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                len += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                len += 1; // an unpaired surrogate is encoded as '?' by String.getBytes(UTF_8)
            } else {
                len += 3;
            }
        }
        return len;
    }
}
