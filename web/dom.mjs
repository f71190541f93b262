// Builds elements from plain data. Text always goes in through text nodes (never innerHTML), so
// a model's metadata or generated text can never turn into markup or run a script.

/**
 * el('button', {class: 'x', type: 'button', onclick: fn}, 'Label', childNode)
 * Keys starting with "on" become event listeners; `hidden`/`disabled` booleans are properties;
 * everything else is an attribute. Strings and numbers become text nodes; null is skipped.
 */
export function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
        if (value === undefined || value === null || value === false) continue;
        if (key.startsWith('on') && typeof value === 'function') {
            node.addEventListener(key.slice(2), value);
        } else if (key === 'hidden' || key === 'disabled' || key === 'checked' || key === 'selected') {
            node[key] = Boolean(value);
        } else if (key === 'value') {
            node.value = value;
        } else {
            node.setAttribute(key, value === true ? '' : String(value));
        }
    }
    append(node, children);
    return node;
}

function append(node, children) {
    for (const child of children.flat()) {
        if (child === null || child === undefined || child === false) continue;
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
}

/** Replaces all children of `node`. */
export function replaceChildren(node, ...children) {
    node.replaceChildren();
    append(node, children);
}

export const byId = (id) => document.getElementById(id);
