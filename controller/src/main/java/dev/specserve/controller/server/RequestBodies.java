package dev.specserve.controller.server;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * Request bodies as the client meant them: the {@code gzip} and {@code deflate} content codings are undone here,
 * after the body handler, rather than by Netty's decompressor, which closed the connection without an answer when
 * a body was not what its {@code Content-Encoding} said. Here such a body gets a 400 naming the coding, and one that
 * inflates past the route's limit a 413, as an uncompressed one over it does.
 */
final class RequestBodies {
    private static final String DECODED = "specserve.body";

    private RequestBodies() {
    }

    /** Route handler after the body handler: decodes the body, or answers 400/413 and tells {@code refused}. */
    static Handler<RoutingContext> decoder(long limit, Consumer<ApiError> refused) {
        return ctx -> {
            String coding = ctx.request().getHeader(HttpHeaders.CONTENT_ENCODING);
            Buffer raw = ctx.body().buffer();
            if (coding == null || raw == null || raw.length() == 0) {
                ctx.next();
                return;
            }
            ApiError unsupported = refusal(coding);
            if (unsupported != null) {
                refused.accept(unsupported);
                HttpReplies.error(ctx.response().putHeader(HttpHeaders.CONNECTION, "close"), unsupported, null);
                return;
            }
            String[] codings = coding.split(",");
            try {
                byte[] bytes = raw.getBytes();
                for (int i = codings.length - 1; i >= 0; i--) { // the last coding applied comes off first
                    bytes = decode(codings[i].strip().toLowerCase(Locale.ROOT), bytes, limit);
                }
                ctx.put(DECODED, Buffer.buffer(bytes));
                ctx.next();
            } catch (TooLarge e) {
                ctx.fail(413);
            } catch (IOException e) {
                ApiError error = ApiError.invalid("body", "request body is not valid " + coding + " data ("
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                        + "); send it as is, or compressed as its Content-Encoding says");
                refused.accept(error);
                HttpReplies.error(ctx.response().putHeader(HttpHeaders.CONNECTION, "close"), error, null);
            }
        };
    }

    /** Content codings undone here. */
    private static final java.util.Set<String> CODINGS = java.util.Set.of("identity", "gzip", "x-gzip", "deflate");

    /**
     * The 415 for a {@code Content-Encoding} (null: none) this class does not undo: one it does not know, or more
     * than one compression (each layer of gzip inside gzip would cost a whole inflation on the event loop). Null
     * when the body can be read.
     */
    static ApiError refusal(String coding) {
        if (coding == null) {
            return null;
        }
        int compressions = 0;
        for (String c : coding.split(",")) {
            String name = c.strip().toLowerCase(Locale.ROOT);
            if (!CODINGS.contains(name) || !name.equals("identity") && ++compressions > 1) {
                return new ApiError(415, "Content-Encoding '" + coding + "' is not supported; send the body as is, "
                        + "or in one of gzip and deflate", ApiError.INVALID_REQUEST, null);
            }
        }
        return null;
    }

    /** The decoded body (the body as sent when it had no content coding), or null when there was none. */
    static Buffer buffer(RoutingContext ctx) {
        Buffer decoded = ctx.get(DECODED);
        return decoded != null ? decoded : ctx.body().buffer();
    }

    /** The decoded body as UTF-8 text, empty when there was none. */
    static String text(RoutingContext ctx) {
        Buffer body = buffer(ctx);
        return body == null ? "" : body.toString(StandardCharsets.UTF_8);
    }

    private static byte[] decode(String coding, byte[] bytes, long limit) throws IOException {
        return switch (coding) {
            case "identity", "" -> bytes;
            case "gzip", "x-gzip" -> inflate(new GZIPInputStream(new ByteArrayInputStream(bytes)), limit);
            // RFC 9110's deflate is zlib-wrapped; some clients send raw deflate, which Netty took too
            case "deflate" -> {
                Inflater inflater = new Inflater(!zlibHeader(bytes));
                try {
                    yield inflate(new InflaterInputStream(new ByteArrayInputStream(bytes), inflater), limit);
                } finally {
                    inflater.end(); // a stream given its inflater leaves it open
                }
            }
            default -> throw new IllegalStateException("unsupported coding " + coding); // refused before
        };
    }

    private static boolean zlibHeader(byte[] b) {
        return b.length >= 2 && (b[0] & 0x0f) == 8 && ((b[0] & 0xff) << 8 | (b[1] & 0xff)) % 31 == 0;
    }

    private static byte[] inflate(InputStream in, long limit) throws IOException {
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] chunk = new byte[16 * 1024];
            for (int n; (n = in.read(chunk)) > 0; ) {
                if (out.size() + n > limit) {
                    throw new TooLarge();
                }
                out.write(chunk, 0, n);
            }
            return out.toByteArray();
        }
    }

    /** Inflating ran past the route's body limit. */
    private static final class TooLarge extends IOException {
    }
}
