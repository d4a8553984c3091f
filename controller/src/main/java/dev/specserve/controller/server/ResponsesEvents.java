package dev.specserve.controller.server;

import dev.specserve.runtime.engine.RequestStats;
import dev.specserve.runtime.spec.FinishReason;
import dev.specserve.runtime.spec.GenerationResult;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * One Responses API answer as it is written: which output items it has opened, and the events that open, extend
 * and close them, as OpenAI streams them ({@code response.output_item.added}, {@code response.content_part.added},
 * {@code response.output_text.delta}, ..., {@code response.completed}). The unstreamed answer replays its whole
 * text through a fresh one ({@link #replay}), so both forms build their output items the same way.
 *
 * <p>Text is a message item. A named or {@code "required"} tool choice's calls are function_call items whose
 * arguments stream as they are written ({@link RequiredCallsStream} finds the calls of {@code "required"}); output
 * cut short leaves them {@code incomplete}. Under {@code "auto"} text goes out as it comes until a call may begin
 * ({@link ToolCallParser#contentEnd}), blank text opens no message (as the chat API's content is null), and the
 * calls come whole at the end, since a model may write a call's fields in any order.
 *
 * <p>Events are collected per callback into one chunk, {@code {"events": [...]}}, which {@link #sse} writes as
 * named server-sent events, numbering them as they go out: the shape's opening chunk is built after the first
 * delta's, but written before it.
 */
final class ResponsesEvents {
    private final JsonObject echo;
    private final ToolCalls tools;
    private final StringBuilder text = new StringBuilder();
    private final JsonArray items = new JsonArray();
    /** Arguments of the function_call items opened while streaming (named or required), by call index. */
    private final List<StringBuilder> arguments = new ArrayList<>();
    private final RequiredCallsStream required = new RequiredCallsStream();
    /** How much of {@link #text} went out as the message's text. */
    private int sent;
    private JsonObject message;
    private final StringBuilder messageText = new StringBuilder();
    private int sequence;

    /** @param tools the request's tools and tool choice, or null for none */
    ResponsesEvents(JsonObject echo, ToolCalls tools) {
        this.echo = echo;
        this.tools = tools;
    }

    /** The output items of {@code r}, whole: its text replayed as one delta. */
    static JsonObject replay(JsonObject echo, ToolCalls tools, ResponseShape.Head h, GenerationResult r,
                             RequestStats s) {
        ResponsesEvents e = new ResponsesEvents(echo, tools);
        e.delta(r.text());
        JsonArray events = e.last(h, r, s).getJsonArray("events");
        return events.getJsonObject(events.size() - 1).getJsonObject("response");
    }

    /** {@code response.created} and {@code response.in_progress}, with the response as it starts. */
    JsonObject opening(ResponseShape.Head h) {
        JsonObject started = ResponsesJson.response(h, echo, "in_progress", null, new JsonArray(), null, null);
        return new JsonObject().put("events", new JsonArray()
                .add(event("response.created").put("response", started))
                .add(event("response.in_progress").put("response", started)));
    }

    /** The events {@code delta} of the output makes, or null for none. */
    JsonObject delta(String delta) {
        JsonArray out = new JsonArray();
        text.append(delta);
        if (tools != null && tools.calls()) {
            callDeltas(delta, out);
        } else if (tools != null && tools.auto()) {
            int end = tools.parser().contentEnd(text, sent);
            if (message != null || !text.substring(sent, Math.max(sent, end)).isBlank()) {
                messageText(end, out);
            }
        } else {
            messageText(text.length(), out);
        }
        return out.isEmpty() ? null : new JsonObject().put("events", out);
    }

    /** The closing events, the calls of {@code "auto"}, and {@code response.completed} (or incomplete). */
    JsonObject last(ResponseShape.Head h, GenerationResult r, RequestStats s) {
        JsonArray out = new JsonArray();
        JsonArray made = tools == null || !(tools.calls() || tools.auto()) ? null : tools.toolCalls(r.text());
        boolean cut = r.finishReason() != FinishReason.STOP;
        if (tools != null && tools.auto() && made == null) {
            messageText(text.length(), out); // no whole call: what was held back is text
        }
        if (message == null && items.isEmpty()) { // every answer has an item, if only an empty message
            messageText(text.length(), out);
        }
        closeMessage(cut && made == null ? "incomplete" : "completed", out);
        for (int i = 0; i < arguments.size(); i++) {
            closeCall(i, made != null ? "completed" : "incomplete", out);
        }
        if (tools != null && tools.auto() && made != null) {
            for (int i = 0; i < made.size(); i++) {
                JsonObject f = made.getJsonObject(i).getJsonObject("function");
                openCall(f.getString("name"), out);
                argumentsDelta(arguments.size() - 1, f.getString("arguments"), out);
                closeCall(arguments.size() - 1, "completed", out);
            }
        }
        String status = ResponsesJson.status(r);
        JsonObject done = ResponsesJson.response(h, echo, status, ResponsesJson.incompleteDetails(r), items, r, s);
        out.add(event("completed".equals(status) ? "response.completed" : "response.incomplete").put("response", done));
        return new JsonObject().put("events", out);
    }

    /** An {@code error} event and {@code response.failed}, for a stream that fails after it began. */
    JsonObject failed(ResponseShape.Head h, ApiError e) {
        String code = e.status() == 429 ? "rate_limit_exceeded" : e.status() < 500 ? "invalid_prompt" : "server_error";
        JsonObject failed = ResponsesJson.response(h, echo, "failed", null, items, null, null)
                .put("error", new JsonObject().put("code", code).put("message", e.message()));
        return new JsonObject().put("events", new JsonArray()
                .add(event("error").put("code", code).put("message", e.message()).put("param", e.param()))
                .add(event("response.failed").put("response", failed)));
    }

    /** A chunk's events as server-sent events, {@code event: <type>} then the data, each numbered in turn. */
    String sse(JsonObject chunk) {
        StringBuilder out = new StringBuilder();
        for (Object o : chunk.getJsonArray("events")) {
            JsonObject e = (JsonObject) o;
            JsonObject numbered = new JsonObject().put("type", e.getString("type")).put("sequence_number", sequence++);
            e.forEach(f -> numbered.put(f.getKey(), f.getValue()));
            out.append("event: ").append(e.getString("type")).append("\ndata: ").append(numbered.encode()).append("\n\n");
        }
        return out.toString();
    }

    /** Text up to {@code end} out as the message's, opening the message first. */
    private void messageText(int end, JsonArray out) {
        if (message == null) {
            message = ResponsesJson.message("", "in_progress");
            items.add(message);
            out.add(event("response.output_item.added").put("output_index", items.size() - 1)
                            .put("item", message.copy().put("content", new JsonArray()))) // its part comes next
                    .add(part("response.content_part.added", ""));
        }
        if (end > sent) {
            String piece = text.substring(sent, end);
            sent = end;
            messageText.append(piece);
            out.add(textEvent("response.output_text.delta").put("delta", piece).put("logprobs", new JsonArray()));
        }
    }

    private void closeMessage(String status, JsonArray out) {
        if (message == null) {
            return;
        }
        String whole = messageText.toString();
        message.put("status", status).getJsonArray("content").getJsonObject(0).put("text", whole);
        out.add(textEvent("response.output_text.done").put("text", whole).put("logprobs", new JsonArray()))
                .add(part("response.content_part.done", whole))
                .add(event("response.output_item.done").put("output_index", indexOf(message))
                        .put("item", message.copy()));
    }

    /** The calls {@code delta} writes or extends (named: one call; required: each as its head is written). */
    private void callDeltas(String delta, JsonArray out) {
        if (tools.named() != null) {
            if (arguments.isEmpty() && !delta.isEmpty()) {
                openCall(tools.named(), out);
            }
            if (!delta.isEmpty()) {
                argumentsDelta(0, delta, out);
            }
            return;
        }
        for (Object o : required.append(delta)) {
            JsonObject d = (JsonObject) o;
            JsonObject f = d.getJsonObject("function");
            if (d.getString("id") != null) {
                openCall(f.getString("name"), out);
            }
            if (!f.getString("arguments").isEmpty()) {
                argumentsDelta(d.getInteger("index"), f.getString("arguments"), out);
            }
        }
    }

    private void openCall(String name, JsonArray out) {
        JsonObject call = ResponsesJson.functionCall(name, "", "in_progress");
        items.add(call);
        arguments.add(new StringBuilder());
        out.add(event("response.output_item.added").put("output_index", items.size() - 1).put("item", call.copy()));
    }

    private void argumentsDelta(int call, String piece, JsonArray out) {
        arguments.get(call).append(piece);
        JsonObject item = callItem(call);
        out.add(event("response.function_call_arguments.delta").put("item_id", item.getString("id"))
                .put("output_index", indexOf(item)).put("delta", piece));
    }

    private void closeCall(int call, String status, JsonArray out) {
        JsonObject item = callItem(call).put("arguments", arguments.get(call).toString()).put("status", status);
        out.add(event("response.function_call_arguments.done").put("item_id", item.getString("id"))
                        .put("output_index", indexOf(item)).put("name", item.getString("name"))
                        .put("arguments", item.getString("arguments")))
                .add(event("response.output_item.done").put("output_index", indexOf(item)).put("item", item.copy()));
    }

    /** The function_call item of call {@code call}: calls come after the message, if any, in order. */
    private JsonObject callItem(int call) {
        return items.getJsonObject(items.size() - arguments.size() + call);
    }

    private int indexOf(JsonObject item) {
        for (int i = 0; i < items.size(); i++) {
            if (items.getValue(i) == item) { // the items are held as they were added
                return i;
            }
        }
        throw new IllegalStateException("not an output item");
    }

    private JsonObject part(String type, String whole) {
        return event(type).put("item_id", message.getString("id")).put("output_index", indexOf(message))
                .put("content_index", 0).put("part", ResponsesJson.outputText(whole));
    }

    private JsonObject textEvent(String type) {
        return event(type).put("item_id", message.getString("id")).put("output_index", indexOf(message))
                .put("content_index", 0);
    }

    private static JsonObject event(String type) {
        return new JsonObject().put("type", type);
    }
}
