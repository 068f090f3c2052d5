import { Command as CommanderCommand, CommanderError, CommandUnknownOpts, Help, HelpConfiguration } from "@commander-js/extra-typings";
import { envPreviewCommand } from "./commands/envPreview";
import { envUpCommand } from "./commands/envUp";
import { historyCommand } from "./commands/history";
import { prPauseCommand, prResumeCommand } from "./commands/prActive";
import { prDownCommand } from "./commands/prDown";
import { prPreviewCommand } from "./commands/prPreview";
import { prReapCommand } from "./commands/prReap";
import { prUpCommand } from "./commands/prUp";
import { releaseCommand } from "./commands/release";
import { restartCommand } from "./commands/restart";
import { abortCommand, promoteCommand, retryCommand } from "./commands/rolloutAction";
import { statusCommand } from "./commands/status";
import { undoCommand } from "./commands/undo";
import type { BotContext } from "./context";
import { UsageError } from "./errors";
import { BotCommand, InvalidValue } from "./options";

/** `rollout-bot pr <command>`: the PR environments. */
const PR_COMMANDS = [prUpCommand, prPreviewCommand, prDownCommand, prPauseCommand, prResumeCommand, prReapCommand] as const;
/** `rollout-bot env <command>`: long-lived environments changed through pull requests. */
const ENV_COMMANDS = [envPreviewCommand, envUpCommand] as const;
/** `rollout-bot <command>`: commands on any stack. */
const STACK_COMMANDS = [restartCommand, releaseCommand, statusCommand, historyCommand, promoteCommand, abortCommand, retryCommand, undoCommand] as const;

type ParsedBy<T> = T extends BotCommand<infer C> ? C : never;
/** A parsed, validated command line, as its handler takes it. */
export type ParsedCommand = ParsedBy<(typeof PR_COMMANDS)[number] | (typeof ENV_COMMANDS)[number] | (typeof STACK_COMMANDS)[number]>;
export type Command = { readonly kind: "help"; readonly text: string } | ParsedCommand;
/** What a command line asks for: help to print, or a command to run. */
export type Invocation = { readonly kind: "help"; readonly text: string } | { readonly kind: "run"; readonly command: ParsedCommand; run(ctx: BotContext): Promise<void> };

const PROGRAM = "rollout-bot";

/** `pr up`: the words that name a command after the program's name. */
function commandPath(command: CommandUnknownOpts): string[] {
    const words: string[] = [];
    for (let at: CommandUnknownOpts | null = command; at?.parent; at = at.parent) {
        words.unshift(at.name());
    }
    return words;
}

/** `<stack> [service]`: a command's arguments as its usage line shows them. */
function argumentsUsage(command: CommandUnknownOpts): string[] {
    return command.registeredArguments.map((argument) => (argument.required ? `<${argument.name()}>` : `[${argument.name()}]`));
}

const HELP: HelpConfiguration = {
    helpWidth: 110,
    styleTitle: (title) => title.toLowerCase(),
    // The overview lists a group's commands (`pr up`, `pr down`, ...) rather than the group.
    visibleCommands: (command) => new Help().visibleCommands(command).flatMap((sub) => (sub.commands.length > 0 ? [...sub.commands] : [sub])),
    subcommandTerm: (command) => [...(command.parent === null ? [command.name()] : commandPath(command)), ...argumentsUsage(command)].join(" "),
};

/**
 * One parse of a command line. Commander keeps parse state on its command objects, so each parse
 * builds its own tree; nothing here writes to the process's streams or exits it.
 */
class CommandLine {
    private readonly program: CommandUnknownOpts;
    /** What commander printed: help, when asked for it. */
    private output = "";
    /** The command being parsed, to name it in an {@link InvalidValue}'s message. */
    private active: CommandUnknownOpts;
    private invocation: Invocation | undefined;

    constructor() {
        this.program = this.configure(new CommanderCommand(PROGRAM))
            .description("Drives this project's stacks through the Pulumi Automation API.")
            .addHelpText("after", `\nRun '${PROGRAM} <command> --help' for a command's arguments and options; docs/release-bot.md has the rest.`);
        this.active = this.program;
        this.group("pr", "Per-pull-request environments: the stacks pr-<n>.", "pull request environments:", PR_COMMANDS);
        this.group("env", "Long-lived environments (dev, prod) changed through pull requests.", "long-lived environments:", ENV_COMMANDS);
        this.program.commandsGroup("any stack:");
        STACK_COMMANDS.forEach((command) => this.register(this.program, command));
    }

    parse(argv: readonly string[]): Invocation {
        try {
            this.program.parse(argv, { from: "user" });
        } catch (error) {
            if (error instanceof CommanderError && error.exitCode === 0) {
                return { kind: "help", text: this.output.trimEnd() };
            }
            if (error instanceof InvalidValue) {
                throw this.usageError(this.active, error.message);
            }
            throw error;
        }
        if (this.invocation === undefined) {
            throw new Error(`no action ran for '${argv.join(" ")}'`);
        }
        return this.invocation;
    }

    /** The full help of the command at `path` (`pr up`, `release`). */
    help(path: string): string {
        const command = path.split(" ").reduce<CommandUnknownOpts | undefined>((at, name) => at?.commands.find((sub) => sub.name() === name), this.program);
        if (command === undefined) {
            throw new Error(`no command '${path}'`);
        }
        return this.helpText(command);
    }

    /** `rollout-bot <name> <command>`: a group of commands under one word, listed under `heading`. */
    private group(name: string, description: string, heading: string, commands: readonly BotCommand<ParsedCommand>[]): void {
        const group = this.configure(new CommanderCommand(name))
            .description(description)
            .helpCommand(false)
            .helpGroup(heading)
            .commandsGroup(heading);
        commands.forEach((command) => this.register(group, command));
        this.program.addCommand(group);
    }

    private register(parent: CommandUnknownOpts, definition: BotCommand<ParsedCommand>): void {
        const command = this.configure(definition.declare((parsed) => {
            this.invocation = { kind: "run", command: parsed, run: (ctx) => definition.run(parsed, ctx) };
        }));
        command.usage([...argumentsUsage(command), "[options]"].join(" ")).summary(command.description().split(". ")[0]!.replace(/\.$/, ""));
        parent.addCommand(command);
    }

    private configure<C extends CommandUnknownOpts>(command: C): C {
        command
            .usage("<command> [arguments] [options]")
            .configureHelp(HELP)
            .configureOutput({ writeOut: (text) => { this.output += text; }, writeErr: () => undefined, outputError: () => undefined })
            .exitOverride((error) => {
                throw error.exitCode === 0 ? error : this.usageError(command, this.describe(command, error));
            })
            .hook("preSubcommand", (_, sub) => {
                this.active = sub;
            });
        return command;
    }

    /** Commander's refusal, in the bot's words where commander's are vague. */
    private describe(command: CommandUnknownOpts, error: CommanderError): string {
        switch (error.code) {
            case "commander.missingArgument":
            case "commander.missingMandatoryOptionValue": {
                // Commander checks options first; the arguments come first on the line, so they are named first.
                const argument = command.registeredArguments.find((arg, index) => arg.required && command.args[index] === undefined);
                const option = command.options.find((opt) => opt.mandatory && command.getOptionValue(opt.attributeName()) === undefined);
                return `missing ${argument === undefined ? option?.long : `<${argument.name()}>`}`;
            }
            case "commander.excessArguments":
                return `unexpected argument '${command.args[command.registeredArguments.length]}'`;
            case "commander.unknownCommand":
                return `unknown command '${[...commandPath(command), command.args[0]].join(" ")}'`;
            case "commander.help":
                return command.parent === null ? "no command given" : `${commandPath(command).join(" ")} needs a subcommand`;
            default:
                return error.message.replace(/^error: /, "");
        }
    }

    private usageError(command: CommandUnknownOpts, message: string): UsageError {
        const leaf = command.commands.length === 0;
        return new UsageError(leaf ? `${commandPath(command).join(" ")}: ${message}` : message, this.helpText(command));
    }

    private helpText(command: CommandUnknownOpts): string {
        this.output = "";
        command.outputHelp();
        return this.output.trimEnd();
    }
}

/** Parses the bot's command line (without `node` and the script). Throws {@link UsageError}. */
export function parseInvocation(argv: readonly string[]): Invocation {
    return new CommandLine().parse(argv);
}

/** {@link parseInvocation}'s command, for tests and the workflows check. */
export function parseCommand(argv: readonly string[]): Command {
    const invocation = parseInvocation(argv);
    return invocation.kind === "help" ? invocation : invocation.command;
}

/** The help of one command, as `<command> --help` prints it and a usage error attaches it. */
export function commandUsage(path: string): string {
    return new CommandLine().help(path);
}
