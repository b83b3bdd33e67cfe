// A "print" button for pages meant for paper (the office fee poster).
const button = document.getElementById("print-button");
if (button) {
  button.addEventListener("click", (event) => {
    event.preventDefault();
    window.print();
  });
}
