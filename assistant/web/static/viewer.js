// Runs once in the browser: a click on a passage card (or an [n] marker) opens the passage in the
// review viewer; chatbot HTML is sanitized (no data-* attributes), so the span travels in the href.
window.__nsOpenPassage = (data) => trigger('click', data);
if (!window.__nsListening) {
  window.__nsListening = true;
  document.addEventListener('click', (event) => {
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
