@tool
extends EditorPlugin
## Project > Tools > "Build sound effects", and a build before every export.
## Written by `sfx-pipeline hook install godot`; enable it in Project Settings > Plugins.

const Cli := preload("cli.gd")
const ExportPlugin := preload("export_plugin.gd")
const MENU_ITEM := "Build sound effects"

var _thread: Thread
var _export_plugin: EditorExportPlugin


func _enter_tree() -> void:
	Cli.ensure_settings()
	add_tool_menu_item(MENU_ITEM, _on_build_pressed)
	_export_plugin = ExportPlugin.new()
	add_export_plugin(_export_plugin)


func _exit_tree() -> void:
	remove_tool_menu_item(MENU_ITEM)
	remove_export_plugin(_export_plugin)
	_export_plugin = null
	# A build still running keeps the CLI process alive; the thread must be joined before
	# the plugin goes away or Godot reports a leaked thread.
	if _thread != null and _thread.is_started():
		_thread.wait_to_finish()
	_thread = null


func _on_build_pressed() -> void:
	if _thread != null and _thread.is_started():
		_show("Sound effects", "A sound-effect build is already running; its result shows when it ends.")
		return
	# Project settings and paths are read here, on the main thread; the thread only runs
	# the process, because OS.execute blocks until the CLI exits (minutes with AudioGen).
	var line := Cli.command_line()
	print("sfx-pipeline: building sound effects: %s %s" % [line[0], " ".join(line[1])])
	_thread = Thread.new()
	_thread.start(_build_in_thread.bind(line[0], line[1]))


func _build_in_thread(program: String, args: PackedStringArray) -> void:
	var result := Cli.run(program, args)
	_on_build_done.call_deferred(result)


func _on_build_done(result: Dictionary) -> void:
	if _thread == null:
		return  # the plugin was disabled while the build ran
	_thread.wait_to_finish()
	_thread = null
	for message in Cli.errors(result):
		push_error("sfx-pipeline: " + message)
	_show(Cli.title(result), Cli.describe(result))
	# New or replaced WAVs appear in the FileSystem dock and get imported now.
	EditorInterface.get_resource_filesystem().scan()


func _show(title: String, text: String) -> void:
	var dialog := AcceptDialog.new()
	dialog.title = title
	dialog.dialog_text = text
	dialog.dialog_autowrap = true
	dialog.confirmed.connect(dialog.queue_free)
	dialog.canceled.connect(dialog.queue_free)
	EditorInterface.get_base_control().add_child(dialog)
	dialog.popup_centered(Vector2i(Vector2(640, 0) * EditorInterface.get_editor_scale()))
