import type { z } from 'zod';
import type { ToolRole } from '../core/roles.js';
import { TOOL_NAME } from './tool.js';

/** One message of a prompt, as MCP's prompts/get returns it (text only: a prompt here is a playbook). */
export interface PromptMessage {
  role: 'user' | 'assistant';
  content: { type: 'text'; text: string };
}

export interface PromptContext {
  /** The tools this caller may call here: a playbook names only these. */
  callableTools: () => readonly string[];
}

/**
 * A reusable investigation an MCP client offers its user (prompts/list, prompts/get): steps that
 * name real tool calls with their arguments, built for the caller, never a stub. MCP prompt
 * arguments are strings, so `args` is an object of optional strings the builder validates.
 */
export interface PromptDefinition<A extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  leastRole: ToolRole;
  args: A;
  /** Per argument, what it means (MCP lists these beside the names). */
  argDescriptions: Record<keyof z.infer<A> & string, string>;
  build: (args: z.infer<A>, ctx: PromptContext) => { description: string; messages: PromptMessage[] };
}

// Each prompt's argument type is its own; lists of them are typed loosely, as tools are (AnyTool).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPrompt = PromptDefinition<any>;

export function definePrompt<A extends z.ZodObject>(def: PromptDefinition<A>): PromptDefinition<A> {
  if (!TOOL_NAME.test(def.name)) throw new Error(`prompt name ${def.name} must match ${TOOL_NAME}`);
  return def;
}

/** A plain user message. */
export function userText(text: string): PromptMessage {
  return { role: 'user', content: { type: 'text', text } };
}
