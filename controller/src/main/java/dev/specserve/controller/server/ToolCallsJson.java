package dev.specserve.controller.server;

import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.GenerationResult;
import dev.specserve.runtime.spec.TokenLogprob;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** The chat API's answers when the output is tool calls ({@link ToolCalls}). */
final class ToolCallsJson {
    private ToolCallsJson() {}

    /**
     * Chat answers whose output is tool calls ({@link ToolCalls#calls}): the message carries {@code tool_calls}
     * (content null) and finishes with {@code "tool_calls"}; streamed, the calls come whole in the last chunk, since
     * a call's arguments are only known to be whole at the end. Output that is not whole calls (cut short by
     * max_tokens) is answered as text, with its finish reason.
     */
    static ResponseShape of(ToolCalls calls) {
        return new ResponseShape() {
            @Override
            public String idPrefix() {
                return ChatJson.CHAT.idPrefix();
            }

            @Override
            public JsonObject completion(Head h, GenerationResult r, RequestStats s) {
                JsonObject answer = ChatJson.CHAT.completion(h, r, s);
                JsonArray made = calls.toolCalls(r.text());
                if (made != null) {
                    JsonObject choice = answer.getJsonArray("choices").getJsonObject(0);
                    choice.getJsonObject("message").putNull("content").put("tool_calls", made);
                    choice.put("finish_reason", "tool_calls");
                }
                return answer;
            }

            @Override
            public JsonObject opening(Head h) {
                return ChatJson.CHAT.opening(h);
            }

            /** Nothing while the calls are written: their text is not the answer's content. */
            @Override
            public JsonObject delta(Head h, String text, List<TokenLogprob> lps, int textOffset) {
                return null;
            }

            @Override
            public JsonObject last(Head h, GenerationResult r, RequestStats s) {
                JsonArray made = calls.toolCalls(r.text());
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

            @Override
            public JsonObject usage(Head h, GenerationResult r) {
                return ChatJson.CHAT.usage(h, r);
            }

            @Override
            public ApiError refusal(ApiError e) {
                return ChatJson.CHAT.refusal(e);
            }
        };
    }

}
