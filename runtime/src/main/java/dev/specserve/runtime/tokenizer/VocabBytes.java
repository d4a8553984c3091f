package dev.specserve.runtime.tokenizer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Each token's own bytes, read from {@code tokenizer.json}'s vocabulary: what logprobs' {@code bytes} carry and
 * what the output grammars match tokens by. The native tokenizer decodes a piece of a multi-byte character to
 * U+FFFD, so these come from the vocabulary itself.
 */
final class VocabBytes {
    private VocabBytes() {}

    /**
     * Each token's bytes for a byte-level BPE {@code tokenizer.json} (GPT-2's ByteLevel decoder, each vocabulary
     * character standing for one byte), indexed by id up to {@code size}; null for an id that is no such token
     * (added special tokens, gaps). Null altogether when the tokenizer is not byte-level.
     */
    static byte[][] byteLevel(Path tokenizerJson, int size) {
        try {
            com.fasterxml.jackson.databind.JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(tokenizerJson.toFile());
            if (!"ByteLevel".equals(root.path("decoder").path("type").asText())
                    || !root.path("model").path("vocab").isObject()) {
                return null;
            }
            int[] byteOf = new int[0x200];
            java.util.Arrays.fill(byteOf, -1);
            int extra = 0;
            for (int b = 0; b < 256; b++) { // GPT-2's bytes_to_unicode
                boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
                byteOf[printable ? b : 256 + extra++] = b;
            }
            return byPiece(root, size, piece -> {
                byte[] bytes = new byte[piece.length()];
                for (int i = 0; i < piece.length(); i++) {
                    char ch = piece.charAt(i);
                    if (ch >= byteOf.length || byteOf[ch] < 0) {
                        return null;
                    }
                    bytes[i] = (byte) byteOf[ch];
                }
                return bytes;
            });
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Each token's bytes for a SentencePiece-style {@code tokenizer.json} (a decoder with {@code ByteFallback} or
     * {@code Metaspace}: Llama 2, Mistral): {@code <0xHH>} pieces are that one byte, other pieces their text with
     * {@code ▁} as the space it stands for. Null altogether for other tokenizers; null for added tokens.
     */
    static byte[][] pieces(Path tokenizerJson, int size) {
        try {
            com.fasterxml.jackson.databind.JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(tokenizerJson.toFile());
            String decoder = root.path("decoder").toString();
            if (!(decoder.contains("\"ByteFallback\"") || decoder.contains("\"Metaspace\""))
                    || !root.path("model").path("vocab").isObject()) {
                return null;
            }
            java.util.regex.Pattern hexByte = java.util.regex.Pattern.compile("<0x([0-9A-Fa-f]{2})>");
            return byPiece(root, size, piece -> {
                java.util.regex.Matcher m = hexByte.matcher(piece);
                return m.matches() ? new byte[] {(byte) Integer.parseInt(m.group(1), 16)}
                        : piece.replace('\u2581', ' ').getBytes(java.nio.charset.StandardCharsets.UTF_8);
            });
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** One more than the largest id of the vocabulary and the added tokens (0 where the file cannot be read). */
    static int idBound(Path tokenizerJson) {
        try {
            com.fasterxml.jackson.databind.JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(tokenizerJson.toFile());
            int max = -1;
            for (var it = root.path("model").path("vocab").elements(); it.hasNext(); ) {
                max = Math.max(max, it.next().asInt(-1));
            }
            for (com.fasterxml.jackson.databind.JsonNode t : root.path("added_tokens")) {
                max = Math.max(max, t.path("id").asInt(-1));
            }
            return max + 1;
        } catch (java.io.IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * Each vocabulary piece's bytes by {@code bytesOf} (null: none), indexed by id below {@code size}; added tokens
     * (special ones) have none.
     */
    private static byte[][] byPiece(com.fasterxml.jackson.databind.JsonNode root, int size,
                                    java.util.function.Function<String, byte[]> bytesOf) {
        java.util.Set<Integer> added = new java.util.HashSet<>();
        for (com.fasterxml.jackson.databind.JsonNode t : root.path("added_tokens")) {
            added.add(t.path("id").asInt(-1));
        }
        byte[][] out = new byte[size][];
        for (var it = root.path("model").path("vocab").fields(); it.hasNext(); ) {
            var e = it.next();
            int id = e.getValue().asInt(-1);
            if (id >= 0 && id < size && !added.contains(id)) {
                out[id] = bytesOf.apply(e.getKey());
            }
        }
        return out;
    }
}
