@tool
extends RefCounted
## Runs `sfx-pipeline build --json` and turns its JSON answer into text for people.
## Shared by the menu item (plugin.gd) and the export hook (export_plugin.gd).

const SETTING_CLI := "sfx_pipeline/cli_command"
const SETTING_PYTHON := "sfx_pipeline/python"
const DEFAULT_CLI := "sfx-pipeline"
const MAX_PROBLEMS := 8
## OS.execute answers -1 when the process cannot start (Windows); through the shell (Linux,
## macOS) a missing program is 127 and one that cannot be executed is 126.
const NOT_STARTED := [-1, 126, 127]


## Adds the two settings to Project Settings (General, "Sfx Pipeline") when they are missing.
static func ensure_settings() -> void:
	_add_setting(SETTING_CLI, DEFAULT_CLI)
	_add_setting(SETTING_PYTHON, "")


static func _add_setting(name: String, default_value: String) -> void:
	if not ProjectSettings.has_setting(name):
		ProjectSettings.set_setting(name, default_value)
	# With the initial value set, the default is not written into project.godot.
	ProjectSettings.set_initial_value(name, default_value)
	# A file picker for the full path; a bare command name typed in works as well.
	var info := {"name": name, "type": TYPE_STRING, "hint": PROPERTY_HINT_GLOBAL_FILE}
	ProjectSettings.add_property_info(info)
	ProjectSettings.set_as_basic(name, true)


## [program, arguments] for `build --json` on this project. Call it on the main thread.
static func command_line() -> Array:
	var project := ProjectSettings.globalize_path("res://")
	var tail := PackedStringArray(["build", "--project", project, "--json"])
	var python := str(ProjectSettings.get_setting(SETTING_PYTHON, "")).strip_edges()
	if python != "":
		var module_args := PackedStringArray(["-m", "sfx_pipeline"])
		module_args.append_array(tail)
		return [python, module_args]
	var cli := str(ProjectSettings.get_setting(SETTING_CLI, DEFAULT_CLI)).strip_edges()
	if cli == "":
		cli = DEFAULT_CLI
	return [cli, tail]


## Runs the CLI (blocking) and returns {exit_code, program, data: Dictionary, failure: String}.
## `failure` is set when there is no JSON answer to show; safe to call from a thread.
static func run(program: String, args: PackedStringArray) -> Dictionary:
	var output := []
	# stderr is not read: it carries progress lines, and stdout must stay pure JSON.
	var code := OS.execute(program, args, output, false, false)
	var text := "".join(PackedStringArray(output)).strip_edges()
	var result := {"exit_code": code, "program": program, "data": {}, "failure": ""}
	if code in NOT_STARTED or text == "":
		result["failure"] = _not_found(program, code)
		return result
	# A JSON instance rather than JSON.parse_string: same parser, but a non-JSON answer is
	# reported once, below, instead of also as an engine error in the Output panel.
	var json := JSON.new()
	if json.parse(text) != OK or typeof(json.data) != TYPE_DICTIONARY:
		result["failure"] = (
			"%s did not answer with JSON (exit code %d). Is it sfx-pipeline? It printed:\n%s"
			% [program, code, text.left(600)]
		)
		return result
	result["data"] = json.data
	return result


static func _not_found(program: String, code: int) -> String:
	var text := (
		'The sfx-pipeline CLI was not found: could not run "%s" (exit code %d).\n' % [program, code]
	)
	if not (code in NOT_STARTED):
		text += (
			"It started but printed nothing; if it is installed, run `sfx-pipeline build`"
			+ " in a terminal in this project to see why.\n"
		)
	text += "Install it with `pip install sfx-pipeline`, then set Project Settings > General > "
	text += "%s to the full path of the sfx-pipeline executable" % SETTING_CLI
	text += " (or %s to the Python interpreter it is installed in)." % SETTING_PYTHON
	text += " An editor started from a desktop menu may not see the PATH of your terminal."
	return text


## One of the build's counts ("installed", "errors", ...); 0 when the CLI gave none.
static func count(result: Dictionary, key: String) -> int:
	var counts = result["data"].get("counts", {})
	if typeof(counts) != TYPE_DICTIONARY:
		return 0
	return int(counts.get(key, 0))


static func title(result: Dictionary) -> String:
	if errors(result).is_empty():
		return "Sound effects built"
	return "Sound effects: build failed"


## One message per thing that went wrong: CLI missing, fatal error, each problem, each failed asset.
static func errors(result: Dictionary) -> PackedStringArray:
	var messages := PackedStringArray()
	if result["failure"] != "":
		messages.append(result["failure"])
		return messages
	var data: Dictionary = result["data"]
	if data.has("error"):
		messages.append(_with_hint(str(data["error"]), str(data.get("hint", ""))))
		return messages
	for problem in data.get("problems", []):
		messages.append(_problem_text(problem))
	for asset in data.get("assets", []):
		if asset.get("outcome", "") == "failed":
			var output := str(asset.get("output", ""))
			messages.append("%s: build failed: %s" % [output, asset.get("message", "")])
	# 2: built, but outputs edited by hand or orphaned remain (listed as kept/orphan): not a failure.
	var code := int(data.get("exit_code", result["exit_code"]))
	if messages.is_empty() and code != 0 and code != 2:
		messages.append("sfx-pipeline exited with code %d" % result["exit_code"])
	return messages


## The text of the result dialog: counts, then the first problems.
static func describe(result: Dictionary) -> String:
	var errors_found := errors(result)
	var data: Dictionary = result["data"]
	if result["failure"] != "" or data.has("error"):
		return errors_found[0]
	var counts: Dictionary = data.get("counts", {})
	var text := "%d installed (%d generated, %d from cache), %d fresh" % [
		int(counts.get("installed", 0)),
		int(counts.get("generated", 0)),
		int(counts.get("reused", 0)),
		int(counts.get("fresh", 0)),
	]
	for key in ["kept", "pruned", "orphans", "failed", "errors"]:
		if int(counts.get(key, 0)) > 0:
			text += ", %d %s" % [int(counts[key]), key]
	text += " in %.1f s." % float(data.get("seconds", 0.0))
	if int(counts.get("placeholders", 0)) > 0:
		text += "\n%d sounds are procedural placeholders until a build runs where AudioGen loads." % [
			int(counts["placeholders"])
		]
	if int(counts.get("kept", 0)) > 0:
		text += "\nKept files were edited by hand and were not replaced"
		text += " (`sfx-pipeline build --force` replaces them)."
	for i in mini(errors_found.size(), MAX_PROBLEMS):
		text += "\n\n" + errors_found[i]
	if errors_found.size() > MAX_PROBLEMS:
		text += "\n\n... and %d more (see the Output panel)." % (errors_found.size() - MAX_PROBLEMS)
	return text


static func _problem_text(problem: Dictionary) -> String:
	var where := str(problem.get("file", ""))
	if typeof(problem.get("line")) != TYPE_NIL:
		where += ":%d" % int(problem["line"])
	var key := str(problem.get("key", ""))
	var text := where + ": " + (key + ": " if key != "" else "") + str(problem.get("message", ""))
	return _with_hint(text, str(problem.get("hint", "")))


static func _with_hint(message: String, hint: String) -> String:
	return message if hint == "" else message + "\n  fix: " + hint
