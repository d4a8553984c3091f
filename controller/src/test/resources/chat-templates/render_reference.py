#!/usr/bin/python3
"""Renders reference.json's templates over its conversations the way Hugging Face apply_chat_template does
(jinja2 ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols, {% generation %}, raise_exception,
tojson) and writes the
outputs into its "expected" map. Needs jinja2 3.x (Debian: python3-jinja2); the Java test reads only the JSON."""
import json, pathlib
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2 import TemplateError, nodes
from jinja2.ext import Extension

class Generation(Extension):
    """transformers' {% generation %} block (its AssistantTracker): rendering writes the body as it is."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.Scope(body, lineno=lineno)

def raise_exception(message):
    raise TemplateError(message)

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols", Generation])
env.globals["raise_exception"] = raise_exception
env.filters["tojson"] = lambda x, ensure_ascii=False, indent=None, separators=None, sort_keys=False: json.dumps(
    x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
path = pathlib.Path(__file__).with_name("reference.json")
ref = json.loads(path.read_text())
ref["expected"] = {}
for name, template in ref["templates"].items():
    for conv, messages in ref["conversations"].items():
        try:
            out = env.from_string(template).render(messages=messages, add_generation_prompt=True, **ref["tokens"])
        except TemplateError as e:
            out = "raise_exception: " + str(e)
        ref["expected"][name + "/" + conv] = out
path.write_text(json.dumps(ref, indent=1, ensure_ascii=False) + "\n")
