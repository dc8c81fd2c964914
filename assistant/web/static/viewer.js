// Runs once in the browser: a passage chip's "Open in the review" link (or an [n] marker) opens the
// passage in the review viewer; chatbot HTML is sanitized (no data-* attributes), so the span travels
// in the link's href.
window.__nsOpenPassage = (data) => trigger('click', data);
// Plain text of one answer for the clipboard: the answer, then "[n] review label: “quote”" lines.
// textContent, not innerText: a folded chip's quote is not rendered, and innerText would skip it.
const plain = (node) => (node?.textContent ?? '').replace(/\s+/g, ' ').trim();
window.__nsPlainAnswer = (answer) => {
  const body = answer.querySelector('.answer-text') || answer.querySelector('.refusal-label + p');
  const lines = [(body ? body.innerText : answer.innerText).replace(/\s+/g, ' ').trim()];
  for (const chip of answer.querySelectorAll(':scope > .passages > .passage')) {
    const num = plain(chip.querySelector('.passage-num')), label = plain(chip.querySelector('.passage-title'));
    lines.push(`${num} ${label}: “${plain(chip.querySelector('mark'))}”`);
  }
  return lines.join('\n');
};
window.__nsPlainChat = () => {
  const turns = [];
  for (const node of document.querySelectorAll('#chat [data-testid="user"], #chat [data-testid="bot"]')) {
    const answer = node.querySelector('.answer:not(.streaming)');
    if (node.matches('[data-testid="user"]')) turns.push(`You: ${node.innerText.trim()}`);
    else if (answer) turns.push(`Assistant: ${window.__nsPlainAnswer(answer)}`);
  }
  return turns.join('\n\n');
};
if (!window.__nsListening) {
  window.__nsListening = true;
  document.addEventListener('click', (event) => {
    const copy = event.target.closest('a.copy-answer');
    if (copy) {
      event.preventDefault();
      navigator.clipboard.writeText(window.__nsPlainAnswer(copy.closest('.answer')));
      copy.textContent = 'Copied';
      setTimeout(() => { copy.textContent = 'Copy'; }, 1500);
      return;
    }
    const marker = event.target.closest('a.cite-marker');
    const card = marker ? document.getElementById(marker.getAttribute('href').slice(1))
                        : event.target.closest('.passage');
    if (!card) return;
    const link = card.querySelector('a.open-passage');
    if (!link || event.target.closest('summary')) return;
    event.preventDefault();
    card.scrollIntoView({block: 'nearest'});
    card.classList.add('flash');
    setTimeout(() => card.classList.remove('flash'), 1500);
    const span = link.getAttribute('href').split('=')[1].split(':');
    const end = span.pop(), start = span.pop();
    window.__nsOpenPassage({review_id: decodeURIComponent(span.join(':')), start, end});
  });
}
watch('value', () => {
  const mark = element.querySelector('mark');
  if (!mark) return;
  // Centre the span inside the viewer's own scroll box, then bring the viewer on screen if needed.
  let box = mark.parentElement;
  const scrolls = (el) =>
    el.scrollHeight > el.clientHeight + 1 && /auto|scroll/.test(getComputedStyle(el).overflowY);
  while (box && box !== document.body && !scrolls(box)) box = box.parentElement;
  if (box && box !== document.body) {
    const offset = mark.getBoundingClientRect().top - box.getBoundingClientRect().top;
    box.scrollTop += offset - box.clientHeight / 2;
  }
  mark.scrollIntoView({block: 'nearest'});
});
