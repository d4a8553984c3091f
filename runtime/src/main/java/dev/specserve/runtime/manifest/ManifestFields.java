package dev.specserve.runtime.manifest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Typed access to a JSON object with errors that name the missing or mistyped field. */
record ManifestFields(Map<String, Object> map, String path) {
    boolean has(String key) {
        return map.get(key) != null;
    }

    int[] ints(String key) {
        Object v = required(key);
        if (!(v instanceof List<?> list) || list.isEmpty() || !list.stream().allMatch(o -> o instanceof Integer)) {
            throw new ManifestException("manifest field '" + path + "." + key + "' must be a non-empty list of integers");
        }
        return list.stream().mapToInt(o -> (Integer) o).toArray();
    }

    Object required(String key) {
        Object v = map.get(key);
        if (v == null) {
            throw new ManifestException("manifest field '" + path + "." + key + "' is missing");
        }
        return v;
    }

    String string(String key) {
        Object v = required(key);
        if (!(v instanceof String s)) {
            throw new ManifestException("manifest field '" + path + "." + key + "' must be a string");
        }
        return s;
    }

    int integer(String key) {
        Object v = required(key);
        if (!(v instanceof Integer i)) {
            throw new ManifestException("manifest field '" + path + "." + key + "' must be an integer, got " + v);
        }
        return i;
    }

    @SuppressWarnings("unchecked")
    ManifestFields object(String key) {
        Object v = required(key);
        if (!(v instanceof Map)) {
            throw new ManifestException("manifest field '" + path + "." + key + "' must be an object");
        }
        return new ManifestFields((Map<String, Object>) v, path + "." + key);
    }

    @SuppressWarnings("unchecked")
    List<TensorSpec> tensors(String key) {
        Object v = required(key);
        if (!(v instanceof List<?> list)) {
            throw new ManifestException("manifest field '" + path + "." + key + "' must be a list of tensors");
        }
        List<TensorSpec> out = new ArrayList<>();
        for (Object o : list) {
            ManifestFields t = new ManifestFields((Map<String, Object>) o, path + "." + key + "[" + out.size() + "]");
            out.add(new TensorSpec(t.string("name"), (List<Object>) t.required("shape"), t.string("dtype")));
        }
        return out;
    }
}
