@tool
extends EditorExportPlugin
## Builds the sound effects before every export, so an export never ships stale sounds.
##
## Godot does not import files that appear during `_export_begin` in that same export run,
## so when this build installs anything the user is told to export again. On a build
## machine, run `sfx-pipeline build` before `godot --headless --export-release` instead.

const Cli := preload("cli.gd")


func _get_name() -> String:
	return "sfx_pipeline"


func _export_begin(
	_features: PackedStringArray, _is_debug: bool, _path: String, _flags: int
) -> void:
	# Synchronous on purpose: the export must wait for the sounds.
	var line := Cli.command_line()
	var result := Cli.run(line[0], line[1])
	var errors := Cli.errors(result)
	for message in errors:
		push_error("sfx-pipeline (before export): " + message)
	if not errors.is_empty():
		push_error(
			"sfx-pipeline: the sound effects were not all built;"
			+ " this export may contain stale or missing sounds."
		)
	var installed := Cli.count(result, "installed")
	if installed > 0:
		push_warning(
			(
				"sfx-pipeline: %d sound effects were built or replaced just now. Godot imports new"
				+ " and changed files only on the next export: export again to include them."
			)
			% installed
		)
