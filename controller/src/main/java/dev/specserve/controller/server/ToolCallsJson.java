package dev.specserve.controller.server;

import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.TokenLogprob;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The chat API's answers when the output is tool calls ({@link ToolCalls}). */
final class ToolCallsJson {
    private ToolCallsJson() {}

    /**
     * Chat answers whose output is tool calls ({@link ToolCalls#calls}): the message carries {@code tool_calls}
     * (content null) and finishes with {@code "tool_calls"}. Streamed, each call's arguments come as they are
     * written, as OpenAI streams them (the first delta of a call with its index, id, type and name, then arguments
     * only; {@link RequiredCallsStream} finds the calls of {@code "required"}). Output cut short by max_tokens
     * finishes with its own reason ({@code length}), streamed or not with the same calls: those written whole and
     * the one cut short, its arguments as far as they were written; output with no call begun is text.
     */
    static ResponseShape of(ToolCalls calls) {
        Map<Integer, String> streaming = new HashMap<>(); // choice -> id of the named call whose arguments stream
        Map<Integer, RequiredCallsStream> required = new HashMap<>();
        return new ChatJson.Like() {
            @Override
            public JsonObject completion(Head h, GenerationResult r, RequestStats s) {
                JsonObject answer = ChatJson.CHAT.completion(h, r, s);
                JsonArray made = calls.toolCalls(r.text());
                JsonArray cut = made != null ? null : calls.named() == null ? RequiredCallsStream.calls(r.text())
                        : r.text().isEmpty() ? new JsonArray() : new JsonArray().add(new JsonObject().put("id", ToolCalls.newCallId()).put("type", "function")
                                .put("function", new JsonObject().put("name", calls.named()).put("arguments", r.text())));
                if (made != null || !cut.isEmpty()) { // as the stream has them
                    JsonObject choice = answer.getJsonArray("choices").getJsonObject(0);
                    choice.getJsonObject("message").putNull("content").put("tool_calls", made != null ? made : cut);
                    choice.put("finish_reason", made != null ? "tool_calls" : r.finishReason().wire());
                }
                return answer;
            }

            /** The calls as they come (their text is never content). */
            @Override
            public JsonObject delta(Head h, int choice, String text, List<TokenLogprob> lps, int textOffset) {
                if (text.isEmpty()) {
                    return null;
                }
                if (calls.named() == null) {
                    JsonArray made = required.computeIfAbsent(choice, c -> new RequiredCallsStream()).append(text);
                    return made.isEmpty() ? null
                            : ChatJson.chunk(h, new JsonObject().put("tool_calls", made), null, null);
                }
                JsonObject function = new JsonObject();
                JsonObject call = new JsonObject().put("index", 0);
                if (!streaming.containsKey(choice)) {
                    streaming.put(choice, ToolCalls.newCallId());
                    call.put("id", streaming.get(choice)).put("type", "function");
                    function.put("name", calls.named());
                }
                call.put("function", function.put("arguments", text));
                return ChatJson.chunk(h, new JsonObject().put("tool_calls", new JsonArray().add(call)), null, null);
            }

            @Override
            public JsonObject last(Head h, int choice, GenerationResult r, RequestStats s) {
                JsonArray made = calls.toolCalls(r.text());
                if (streaming.containsKey(choice) || required.containsKey(choice) && required.get(choice).started()) {
                    // the calls went out as they came
                    return ChatJson.chunk(h, new JsonObject(), null, made != null ? "tool_calls" : r.finishReason().wire())
                            .put("usage", CompletionJson.usage(r, true))
                            .put("specserve", CompletionJson.specserve(r, s));
                }
                if (made == null) {
                    return ChatJson.chunk(h, new JsonObject().put("content", r.text()), null, r.finishReason().wire())
                            .put("usage", CompletionJson.usage(r, true))
                            .put("specserve", CompletionJson.specserve(r, s));
                }
                for (int i = 0; i < made.size(); i++) {
                    made.getJsonObject(i).put("index", i);
                }
                return ChatJson.chunk(h, new JsonObject().put("tool_calls", made), null, "tool_calls")
                        .put("usage", CompletionJson.usage(r, true))
                        .put("specserve", CompletionJson.specserve(r, s));
            }
        };
    }

}
