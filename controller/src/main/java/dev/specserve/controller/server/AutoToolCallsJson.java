package dev.specserve.controller.server;

import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.TokenLogprob;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The chat API's answers under {@code tool_choice: "auto"} ({@link ToolCalls#auto}): the model's text, with the calls
 * it wrote in its own syntax ({@link ToolCallParser}) taken out and answered as {@code tool_calls}, finishing with
 * {@code "tool_calls"}; the text before them stays the message's content. Output holding no whole call is plain text.
 * Streamed, text goes out as it comes until a call begins (a tail that may be the start of one waits for the next
 * tokens), and the calls come whole in the last chunk (a model may write a call's fields in any order).
 */
final class AutoToolCallsJson {
    private AutoToolCallsJson() {}

    /** One streamed choice: its text so far, how much went out as content, and the log-probs not yet sent. */
    private static final class Stream {
        final StringBuilder text = new StringBuilder();
        final List<TokenLogprob> pending = new ArrayList<>();
        int sent;
    }

    static ResponseShape of(ToolCalls calls) {
        Map<Integer, Stream> streams = new HashMap<>();
        return new ChatJson.Like() {
            @Override
            public JsonObject completion(Head h, GenerationResult r, RequestStats s) {
                JsonObject answer = ChatJson.CHAT.completion(h, r, s);
                ToolCallParser.Parsed parsed = calls.parser().parse(r.text(), calls.names());
                if (parsed != null) {
                    JsonObject choice = answer.getJsonArray("choices").getJsonObject(0);
                    choice.getJsonObject("message").put("content", parsed.content())
                            .put("tool_calls", calls.toolCalls(r.text()));
                    choice.put("finish_reason", "tool_calls");
                }
                return answer;
            }

            @Override
            public JsonObject delta(Head h, int choice, String text, List<TokenLogprob> lps, int textOffset) {
                Stream st = streams.computeIfAbsent(choice, c -> new Stream());
                st.text.append(text);
                st.pending.addAll(lps);
                int end = calls.parser().contentEnd(st.text, st.sent);
                if (end <= st.sent) {
                    return null;
                }
                String content = st.text.substring(st.sent, end);
                st.sent = end;
                JsonObject chunk = ChatJson.CHAT.delta(h, choice, content, List.copyOf(st.pending), textOffset);
                st.pending.clear();
                return chunk;
            }

            /** The calls, whole, if the text holds any; else what text was held back, with the finish reason. */
            @Override
            public JsonObject last(Head h, int choice, GenerationResult r, RequestStats s) {
                Stream st = streams.getOrDefault(choice, new Stream());
                JsonArray made = calls.toolCalls(r.text());
                JsonObject delta = new JsonObject();
                if (made != null) {
                    for (int i = 0; i < made.size(); i++) {
                        made.getJsonObject(i).put("index", i);
                    }
                    delta.put("tool_calls", made);
                } else if (st.sent < r.text().length()) {
                    delta.put("content", r.text().substring(st.sent));
                }
                return ChatJson.chunk(h, delta, st.pending.isEmpty() ? null : ChatJson.logprobs(st.pending),
                                made != null ? "tool_calls" : r.finishReason().wire())
                        .put("usage", CompletionJson.usage(r, true))
                        .put("specserve", CompletionJson.specserve(r, s));
            }
        };
    }
}
